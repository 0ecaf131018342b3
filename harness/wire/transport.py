"""The transport: one HTTP exchange on the wire, bounded in time and size, never raising for what the
network or the endpoint did (that is reported as the exchange's `error`).

Time: every socket wait (connect, send, headers, body) is cut at the request's deadline, `timeout`
after it started, so headers trickled a byte a second end there too; waits are sliced so `abort()`
(a signal stopping the run) ends every read in flight within ABORT_POLL_S. Size: the body is
inflated by our bounded decoder (decode.py), never past MAX_BODY_BYTES.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from harness.wire.decode import ACCEPT_ENCODING, BoundedDecoder, DecodeLimit

ABORT_POLL_S = 0.2  # how often a waiting read looks at the deadline and at abort()


@dataclass
class Raw:
    status: int  # 0: no answer
    headers: dict[str, str]  # names lower-cased
    body: bytes
    elapsed: float  # seconds
    error: str | None


def _describe(exc: Exception) -> str:
    message = " ".join(str(exc).split())  # one line, whatever the library put in it
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class _Clock(threading.local):
    """The calling thread's request deadline (sync httpx does its I/O on the caller's thread)."""

    deadline: float | None = None
    timeout: float = 0.0


class _Bounds:
    def __init__(self) -> None:
        self.clock = _Clock()
        self.aborted = threading.Event()

    def wait(self, end: float | None) -> float:
        """The next slice of a socket wait; raises when the run stopped or the deadline passed."""
        if self.aborted.is_set():
            raise httpcore.ReadError("the run is stopping")
        now = time.monotonic()
        deadline = self.clock.deadline
        if deadline is not None and now >= deadline:
            raise httpcore.ReadTimeout(f"response not complete after the {self.clock.timeout:g}s deadline")
        ends = [t for t in (end, deadline) if t is not None]
        return max(0.0, min([now + ABORT_POLL_S, *ends]) - now)

    def cap(self, timeout: float | None) -> float | None:
        deadline = self.clock.deadline
        if deadline is None:
            return timeout
        left = max(0.001, deadline - time.monotonic())
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, bounds: _Bounds) -> None:
        self._inner = inner
        self._bounds = bounds

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = self._bounds.wait(end)  # raises at the deadline or on abort()
            try:
                return self._inner.read(max_bytes, wait)
            except httpcore.ReadTimeout:
                if end is not None and time.monotonic() >= end:
                    raise  # the read timeout proper: a silent gap of `timeout`

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bounds.cap(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> _Stream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._bounds.cap(timeout))
        return _Stream(inner, self._bounds)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own sync backend, its streams bounded by the request deadline and abort()."""

    def __init__(self, bounds: _Bounds) -> None:
        self._inner = httpcore.SyncBackend()
        self._bounds = bounds

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> _Stream:
        stream = self._inner.connect_tcp(host, port, self._bounds.cap(timeout), local_address, socket_options)
        return _Stream(stream, self._bounds)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> _Stream:
        return _Stream(
            self._inner.connect_unix_socket(path, self._bounds.cap(timeout), socket_options), self._bounds
        )

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class Transport:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._bounds = _Bounds()
        # No connection cap: the caller's thread pool already bounds how many requests are in flight.
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=None))
        # httpx does not pass a network backend through (its pools take one): set it on each pool.
        for transport in [self._http._transport, *self._http._mounts.values()]:
            pool = getattr(transport, "_pool", None)
            if isinstance(pool, httpcore.ConnectionPool):
                pool._network_backend = _Backend(self._bounds)

    def close(self) -> None:
        self._http.close()

    def abort(self) -> None:
        """End every exchange in flight within ABORT_POLL_S, and refuse new ones (the run is stopping)."""
        self._bounds.aborted.set()

    def exchange(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> Raw:
        """One HTTP exchange, done by `timeout` after it started whatever the endpoint does."""
        started = time.perf_counter()
        clock = self._bounds.clock
        clock.deadline, clock.timeout = time.monotonic() + self.timeout, self.timeout
        status, resp_headers, chunks, error = 0, {}, [], None
        headers = {"Accept-Encoding": ACCEPT_ENCODING, **headers}
        try:
            with self._http.stream(method, url, headers=headers, content=content) as r:
                status = r.status_code
                resp_headers = {name.lower(): value for name, value in r.headers.items()}
                try:
                    decoder = BoundedDecoder(r.headers.get("content-encoding", ""))
                    for chunk in r.iter_raw():
                        chunks.append(decoder.decode(chunk))
                except DecodeLimit as exc:
                    error = str(exc)
        except httpx.TimeoutException as exc:
            error = f"timeout: {_describe(exc)}"
        except httpx.RemoteProtocolError as exc:
            error = f"protocol error: {_describe(exc)}"
        except httpx.NetworkError as exc:
            error = f"connection error: {_describe(exc)}"
        except httpx.RequestError as exc:
            error = f"transport error: {_describe(exc)}"
        finally:
            clock.deadline = None
        return Raw(status, resp_headers, b"".join(chunks), time.perf_counter() - started, error)
