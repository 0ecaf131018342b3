"""When a response's bytes reached this machine, not when the generator got round to reading them.

A server that batches (vLLM's decode step, or any server under load) sends every stream's next token in
the same instant; one generator process reads them one after another, so the last stream read took
them later than they came, and its inter-token gaps widen and narrow with its place in the queue (64
streams: ITL p99 +21% against a server whose sends were logged, the minimal client +5%). The kernel
stamps each packet as it arrives (SO_TIMESTAMPNS); reading with recvmsg hands that stamp over, so the
time a token came no longer depends on how busy the generator was.

The limit: a read returns the stamp of the last packet it took. A generator late by less than a token's
gap reads each token alone, so each keeps its own time; one late by more reads several at once, and
they share the last one's time (the loop-lag warning of harness/load/generator.py says when the loop
was that late). Linux only (elsewhere, or when the kernel gives no stamp, as for the first packets
after a process turns stamping on: the time of the read). The
stamp is CLOCK_REALTIME, moved onto perf_counter's clock with an offset taken when the stream starts.
"""

from __future__ import annotations

import platform
import socket
import struct
import time
from typing import Any

# Python's socket module has no name for it. 35 is SO_TIMESTAMPNS(_OLD) in asm-generic/socket.h, the
# value on the architectures below; its control message carries a 64-bit struct timespec there.
_SO_TIMESTAMPNS = 35
_GENERIC = {"x86_64", "aarch64", "arm64", "riscv64", "ppc64le", "s390x", "loongarch64"}
SUPPORTED = platform.system() == "Linux" and platform.machine() in _GENERIC
_TIMESPEC = struct.Struct("qq")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if SUPPORTED else 0


class ArrivalClock:
    """Reads a socket and says when each read's bytes arrived, on time.perf_counter()'s clock."""

    def __init__(self, sock: Any, since: float) -> None:
        self.sock = sock
        self.since = since  # what was read before (the headers' read): no later byte came earlier
        self.stamped = False
        if SUPPORTED:
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                self.stamped = True
            except (OSError, AttributeError):
                pass
        self._offset_ns = time.time_ns() - time.perf_counter_ns()

    def recv(self, size: int) -> tuple[bytes, float]:
        """(bytes, when they arrived): the kernel's stamp of the last packet read, else the time now."""
        if self.stamped:
            try:
                data, ancillary, _flags, _address = self.sock.recvmsg(size, _ANCILLARY)
            except NotImplementedError:  # a TLS socket reads records, not bytes: no recvmsg (nothing read)
                self.stamped = False
        if not self.stamped:
            return self.sock.recv(size), time.perf_counter()
        now = when = time.perf_counter()
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(payload) == _TIMESPEC.size:
                seconds, nanoseconds = _TIMESPEC.unpack(payload)
                when = (seconds * 1_000_000_000 + nanoseconds - self._offset_ns) / 1e9
        # Never before what was read earlier: bytes that came with the headers were read without a
        # stamp (their time is that read's), and a wall-clock step could move a stamp anywhere.
        self.since = min(max(when, self.since), now)
        return data, self.since
