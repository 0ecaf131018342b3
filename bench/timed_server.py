"""The accuracy benchmark's known server: every POST gets a chat stream whose content chunks are written
on an exact schedule (the first TTFT after the request arrived, then one every ITL), and the server logs
when each chunk actually went out, so the truth a client is judged against is known, not assumed.

    .venv/bin/python bench/timed_server.py [--ttft-ms 150] [--itl-ms 10] [--tokens 64]

It prints its URL, then serves until killed. `GET /truth` answers what it wrote since the previous
`GET /truth`: TTFT (request read -> first content chunk sent) and ITL (gaps between a stream's content
chunks as sent) percentiles, and its own lateness against the schedule.

Why threads and not an event loop: asyncio's and uvloop's timers wake with millisecond resolution (epoll
and libuv time in ms), which alone puts up to 10% on a 10 ms gap. Here one thread sends every chunk,
sleeping on a condition variable (nanosecond timeouts) until the next one is due; one thread per
connection reads requests. The chunks are bytes made once, so a send is a `sendall` of a few dozen
bytes: at 64 streams of 100 tokens/s the sender is idle most of the time.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import itertools
import json
import math
import re
import socket
import sys
import threading
import time

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")


def _chunk(obj: dict | None) -> bytes:
    data = b"data: " + (json.dumps(obj, separators=(",", ":")).encode() if obj else b"[DONE]") + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _events(tokens: int) -> tuple[bytes, bytes, bytes]:
    """(headers with the role chunk, one content chunk, the stream's end: finish, usage, [DONE])."""
    head = {"id": "chatcmpl-timed", "object": "chat.completion.chunk", "created": 1700000000}
    head["model"] = "mock-chat"
    usage = {"prompt_tokens": 12, "completion_tokens": tokens, "total_tokens": 12 + tokens}

    def choice(delta: dict, finish: str | None = None) -> dict:
        return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    start = HEAD + _chunk(choice({"role": "assistant", "content": ""}))
    end = _chunk(choice({}, "length")) + _chunk({**head, "choices": [], "usage": usage}) + _chunk(None)
    return start, _chunk(choice({"content": " word"})), end + b"0\r\n\r\n"


def percentiles(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}
    at = {q: ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)] for q in (50, 99)}
    return {"count": len(ordered), "p50": at[50], "p99": at[99], "max": ordered[-1]}


class TimedServer:
    def __init__(self, ttft_s: float, itl_s: float, tokens: int) -> None:
        self.ttft_s, self.itl_s, self.tokens = ttft_s, itl_s, tokens
        self.start, self.content, self.end = _events(tokens)
        self.due: list[tuple[float, int, socket.socket, int, list[float]]] = []  # a heap
        self.order = itertools.count()  # ties in time go in the order they were scheduled
        self.wake = threading.Condition()
        self.log_lock = threading.Lock()
        self._reset_log()

    def _reset_log(self) -> tuple[list[float], list[float], list[float]]:
        with self.log_lock:
            old = getattr(self, "log", ([], [], []))
            self.log: tuple[list[float], list[float], list[float]] = ([], [], [])  # ttft, itl, lateness
        return old

    def truth(self) -> bytes:
        ttft, itl, late = self._reset_log()
        return json.dumps(
            {
                "ttft_ms": percentiles([v * 1000 for v in ttft]),
                "itl_ms": percentiles([v * 1000 for v in itl]),
                "late_ms": percentiles([v * 1000 for v in late]),
            }
        ).encode()

    def schedule(self, conn: socket.socket, arrived: float) -> None:
        sent: list[float] = [arrived]  # arrival, then each content chunk's send time
        with self.wake:
            for i in range(self.tokens):
                due = arrived + self.ttft_s + i * self.itl_s
                heapq.heappush(self.due, (due, next(self.order), conn, i, sent))
            self.wake.notify()

    def sender(self) -> None:
        while True:
            with self.wake:
                while not self.due or (wait := self.due[0][0] - time.perf_counter()) > 0:
                    self.wake.wait(wait if self.due else None)
                due, _, conn, index, sent = heapq.heappop(self.due)
            last = index == self.tokens - 1
            try:
                conn.sendall(self.content + self.end if last else self.content)
            except OSError:
                continue  # the client went away; its other chunks fail the same way
            now = time.perf_counter()
            sent.append(now)
            with self.log_lock:
                self.log[2].append(now - due)
                if index == 0:
                    self.log[0].append(now - sent[0])
                else:
                    self.log[1].append(now - sent[-2])

    def reader(self, conn: socket.socket) -> None:
        buffer = b""
        with conn, contextlib.suppress(OSError):  # a client that goes away resets its connection
            while data := conn.recv(65536):
                buffer += data
                while (end := buffer.find(b"\r\n\r\n")) >= 0:
                    found = LENGTH.search(buffer, 0, end + 2)
                    total = end + 4 + (int(found.group(1)) if found else 0)
                    if len(buffer) < total:
                        break
                    arrived = time.perf_counter()
                    request, buffer = buffer[:total], buffer[total:]
                    if request.startswith(b"GET /truth"):
                        body = self.truth()
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                        continue
                    conn.sendall(self.start)
                    self.schedule(conn, arrived)

    def serve(self, listener: socket.socket) -> None:
        threading.Thread(target=self.sender, daemon=True).start()
        while True:
            conn, _ = listener.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self.reader, args=(conn,), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttft-ms", type=float, default=150.0)
    parser.add_argument("--itl-ms", type=float, default=10.0)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    sys.setswitchinterval(0.0002)  # a reader holding the GIL must not delay the sender by 5 ms
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    print(f"http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
    server = TimedServer(args.ttft_ms / 1000, args.itl_ms / 1000, args.tokens)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
        server.serve(listener)


if __name__ == "__main__":
    main()
