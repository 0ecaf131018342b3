"""A hostile endpoint: a raw asyncio TCP server on loopback, in front of the normal mock, that breaks answers.

Every POST (the generation routes) that the share picks gets one of the named faults, in turn; other
requests (GET /v1/models, /health, the POSTs the share leaves out) are forwarded to the mock unchanged,
so a harness still finds the target and sees some good answers. A fault either writes the malformed
bytes itself or forwards the request and corrupts the answer. Every answer ends with a closed
connection, and every fault's time on the wire is bounded (at most ENDLESS_MAX_S).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import socket
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:  # the mock's modules (starlette, uvicorn, the tokenizer, httpx) load only when it runs
    import httpx

    from mock_server.profile import Profile

STALL_S = 10.0  # silence before the headers
HUGE_BYTES = 50 * 10**6  # the 50 MB JSON body, written 1 MiB at a time, never held whole
ENDLESS_MAX_S = 600.0  # the endless stream stops here, or sooner when the client leaves
ENDLESS_GAP_S = 0.02
RETRY_AFTER_S = 30  # a storm's Retry-After: longer than a sane per-request timeout, to prove the cap
READ_TIMEOUT_S = 30.0  # a client that sends its request this slowly is dropped
HEAD_LIMIT = 1 << 20  # request line + headers
TRICKLE_GAP_S = 1.0  # trickled headers: one byte this often
BOMB_BYTES = 10 * 10**9  # what a decompression bomb expands to
MANY = 5_000_000  # `{}` choices in one body
EVENTS = 1_000_000  # `data: {}` events in one stream (10 MB, within a client's 16 MiB body limit)
DEEP = 990  # nesting of a valid body
LONG_LINE_BYTES = 200 * 2**20  # one SSE line
LONG_HEADER_BYTES = 100 * 2**20  # one header line
_CHUNK = 1 << 20


class FaultError(ValueError):
    """An unknown fault name or share; the message is one line for the terminal."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # path and query
    headers: list[tuple[str, str]]
    body: bytes


Fault = Callable[["Exchange"], Awaitable[None]]


@dataclass
class Exchange:
    """One request on one connection: the fault writes the answer through it."""

    request: HttpRequest
    writer: asyncio.StreamWriter
    upstream: httpx.AsyncClient

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, status: int, content_type: str, body: bytes, *extra: tuple[str, str]) -> None:
        await self.write(head(status, [("Content-Type", content_type), *extra], len(body)) + body)

    async def forwarded(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """The mock's whole answer: status, end-to-end headers, body (de-chunked)."""
        async with self._upstream_stream() as r:
            return r.status_code, _end_to_end(r.headers.multi_items()), await r.aread()

    async def relay(self) -> None:
        """Forward the request and pass the answer on as it arrives (close-delimited body)."""
        async with self._upstream_stream() as r:
            await self.write(head(r.status_code, _end_to_end(r.headers.multi_items())))
            async for chunk in r.aiter_raw():
                await self.write(chunk)

    def _upstream_stream(self) -> contextlib.AbstractAsyncContextManager[httpx.Response]:
        headers = [(k, v) for k, v in self.request.headers if k.lower() not in _HOP_BY_HOP]
        return self.upstream.stream(
            self.request.method, self.request.target, headers=headers, content=self.request.body
        )


_HOP_BY_HOP = {"host", "connection", "keep-alive", "content-length", "transfer-encoding", "te", "upgrade"}
_REASONS = {200: "OK", 429: "Too Many Requests", 502: "Bad Gateway", 503: "Service Unavailable"}


def _end_to_end(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP | {"date", "server"}]


def head(status: int, headers: list[tuple[str, str]], length: int | None = None) -> bytes:
    """Status line and headers; without `length` the body runs until the connection closes."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", *(f"{k}: {v}" for k, v in headers)]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def error_body(message: str, kind: str, code: str) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


# -- the faults ------------------------------------------------------------------------------------

_COMPLETION = {
    "id": "chatcmpl-hostile",
    "object": "chat.completion",
    "created": 1764000000,
    "model": "mock-chat",
}
_USAGE = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}


def _completion(content: str, **extra: object) -> bytes:
    message = {"role": "assistant", "content": content}
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    return orjson.dumps({**_COMPLETION, "choices": [choice], "usage": _USAGE, **extra})


def _chunk(delta: dict[str, object], finish: str | None = None) -> bytes:
    chunk = {**_COMPLETION, "object": "chat.completion.chunk"}
    chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def _token(ex: Exchange) -> str:
    """The Bearer token the client sent, which a hostile endpoint echoes back."""
    auth = next((v for k, v in ex.request.headers if k.lower() == "authorization"), "")
    return auth.removeprefix("Bearer ").strip() or "no-token-sent"


async def trickle_headers(ex: Exchange) -> None:
    """A whole answer, its status line and headers one byte every TRICKLE_GAP_S: each byte resets a
    client's read timeout, so only a whole-request deadline ends it."""
    body = _completion("slow")
    data = head(200, [("Content-Type", "application/json")], len(body)) + body
    deadline = time.monotonic() + ENDLESS_MAX_S
    for i in range(len(data)):
        if time.monotonic() > deadline:
            return
        await ex.write(data[i : i + 1])
        await asyncio.sleep(TRICKLE_GAP_S)


@functools.cache
def _deflate_zeros(total: int) -> bytes:
    """A raw deflate stream of `total` zero bytes, built from one repeated block (full flushes make
    every block alike), so a 10 GB bomb is made in milliseconds."""
    block = 2**20
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    unit = z.compress(bytes(block)) + z.flush(zlib.Z_FULL_FLUSH)
    return unit * (total // block) + z.flush()


def _gzip_member(deflated: bytes) -> bytes:
    """A gzip member around raw deflate data (its CRC and size fields wrong: no reader gets that far)."""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + deflated + b"\x00" * 8


@functools.cache
def gzip_bomb_body() -> bytes:
    inner = _gzip_member(_deflate_zeros(BOMB_BYTES))
    return zlib.compress(inner, 9, wbits=31)


@functools.cache
def brotli_bomb_body() -> bytes:
    """Brotli of BOMB_BYTES zeros: after a flush every further block of zeros compresses to the same
    bytes, so one is repeated."""
    import brotli

    z = brotli.Compressor(quality=5)
    block = bytes(2**24)
    first = z.process(block) + z.flush()
    unit = z.process(block) + z.flush()
    return first + unit * (BOMB_BYTES // len(block) - 2) + z.finish()


async def gzip_bomb(ex: Exchange) -> None:
    """`Content-Encoding: gzip, gzip`: a few KB that inflate to BOMB_BYTES of zeros."""
    await ex.answer(200, "application/json", gzip_bomb_body(), ("Content-Encoding", "gzip, gzip"))


async def brotli_bomb(ex: Exchange) -> None:
    await ex.answer(200, "application/json", brotli_bomb_body(), ("Content-Encoding", "br"))


@functools.cache
def _many_choices_body() -> bytes:
    """Built once: building it per request is a CPU second on a loaded machine, eating the client's
    deadline before the body is even sent."""
    return b'{"id":"x","object":"chat.completion","choices":[' + b"{}," * (MANY - 1) + b"{}]}"


async def many_choices(ex: Exchange) -> None:
    """A 15 MB chat completion whose choices are MANY empty objects."""
    await ex.answer(200, "application/json", _many_choices_body())


async def million_events(ex: Exchange) -> None:
    """An SSE stream of EVENTS `data: {}` events, then [DONE]."""
    await ex.write(head(200, [("Content-Type", "text/event-stream")]))
    block = b"data: {}\n\n" * 100_000
    for _ in range(EVENTS // 100_000):
        await ex.write(block)
    await ex.write(b"data: [DONE]\n\n")


async def deep_body(ex: Exchange) -> None:
    """A valid chat completion carrying an extra field nested DEEP levels."""
    nested = b'{"x":' * DEEP + b"1" + b"}" * DEEP
    body = _completion("deep")[:-1] + b',"extra":' + nested + b"}"
    await ex.answer(200, "application/json", body)


async def long_line(ex: Exchange) -> None:
    """An SSE stream whose first event is one LONG_LINE_BYTES line, written 1 MiB at a time."""
    await ex.write(head(200, [("Content-Type", "text/event-stream")]))
    await ex.write(b'data: {"choices":[{"index":0,"delta":{"content":"')
    block = b"a" * _CHUNK
    for _ in range(LONG_LINE_BYTES // _CHUNK):
        await ex.write(block)
    await ex.write(b'"}}]}\n\ndata: [DONE]\n\n')


async def long_header(ex: Exchange) -> None:
    """One LONG_HEADER_BYTES header line before a normal answer."""
    await ex.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Filler: ")
    block = b"a" * _CHUNK
    for _ in range(LONG_HEADER_BYTES // _CHUNK):
        await ex.write(block)
    body = _completion("after the header")
    await ex.write(f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)


def _escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


async def echo_escaped(ex: Exchange) -> None:
    """The client's token echoed JSON-escaped (`\\u0073\\u006b...`): in the content, as the model
    and as a key."""
    token = _escaped(_token(ex))
    body = (
        '{"id":"chatcmpl-echo","object":"chat.completion","created":1764000000,'
        f'"model":"{token}","choices":[{{"index":0,"message":{{"role":"assistant",'
        f'"content":"your key is {token}"}},"finish_reason":"stop","logprobs":null}}],'
        f'"usage":{{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}},"{token}":1}}'
    )
    await ex.answer(200, "application/json", body.encode())


async def echo_split(ex: Exchange) -> None:
    """A stream that echoes the client's token split across content chunks (and percent-encoded in
    an error detail of the last one)."""
    token = _token(ex)
    await ex.write(head(200, [("Content-Type", "text/event-stream")]))
    await ex.write(_chunk({"role": "assistant", "content": "key: "}))
    third = max(1, len(token) // 3)
    for part in (token[:third], token[third : 2 * third], token[2 * third :]):
        await ex.write(_chunk({"content": part}))
    await ex.write(_chunk({"content": " (" + "".join(f"%{b:02X}" for b in token.encode()) + ")"}, "stop"))
    await ex.write(b"data: [DONE]\n\n")


async def redirect_other(ex: Exchange) -> None:
    """307 to the same path on another origin (the mock itself, on its own port)."""
    location = str(ex.upstream.base_url).rstrip("/") + ex.request.target
    await ex.answer(307, "text/plain", b"moved\n", ("Location", location))


async def reset(ex: Exchange) -> None:
    """Close with SO_LINGER 0: the kernel answers with a TCP RST instead of a response."""
    sock = ex.writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ex.writer.transport.abort()


async def half_stream(ex: Exchange) -> None:
    """The mock's answer cut after half its bytes (at a line end), closed cleanly: only the content
    shows that it is incomplete (no `data: [DONE]`, or JSON that stops mid-way)."""
    status, headers, body = await ex.forwarded()
    cut = body.rfind(b"\n", 0, len(body) // 2) + 1 or len(body) // 2
    await ex.write(head(status, headers) + body[:cut])


async def invalid_utf8(ex: Exchange) -> None:
    """The mock's answer with bytes that are not UTF-8 where the first generated text starts."""
    status, headers, body = await ex.forwarded()
    key = b'"content":"' if b'"content":"' in body else b'"'
    at = body.find(key) + len(key)
    body = body[:at] + b"\xff\xfe\xc3(" + body[at:]
    await ex.write(head(status, headers, len(body)) + body)


async def not_json(ex: Exchange) -> None:
    await ex.answer(200, "application/json", b"OK: your request was processed\n")


async def html_502(ex: Exchange) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"
    await ex.answer(502, "text/html", page)


async def huge_body(ex: Exchange) -> None:
    """A chat completion whose content is HUGE_BYTES long, generated as it is written."""
    prefix = (
        b'{"id":"chatcmpl-huge","object":"chat.completion","created":1764000000,"model":"mock-chat",'
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"'
    )
    suffix = (
        b'"},"finish_reason":"stop","logprobs":null}],'
        b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'
    )
    filler = HUGE_BYTES - len(prefix) - len(suffix)
    await ex.write(head(200, [("Content-Type", "application/json")], HUGE_BYTES) + prefix)
    block = b"lorem ipsum " * (_CHUNK // 12)
    while filler > 0:
        await ex.write(block[:filler])
        filler -= len(block)
    await ex.write(suffix)


async def endless_stream(ex: Exchange) -> None:
    """Well-formed chunks, one every ENDLESS_GAP_S, never a [DONE]; until the client leaves."""
    await ex.write(head(200, [("Content-Type", "text/event-stream")]))
    chunk = {"id": "chatcmpl-endless", "object": "chat.completion.chunk", "created": int(time.time())}
    chunk["model"] = "mock-chat"
    role = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
    text = {"index": 0, "delta": {"content": "and on "}, "finish_reason": None}
    await ex.write(b"data: " + orjson.dumps({**chunk, "choices": [role]}) + b"\n\n")
    event = b"data: " + orjson.dumps({**chunk, "choices": [text]}) + b"\n\n"
    deadline = time.monotonic() + ENDLESS_MAX_S
    while time.monotonic() < deadline:
        await ex.write(event)
        await asyncio.sleep(ENDLESS_GAP_S)


async def stall(ex: Exchange) -> None:
    """Nothing for STALL_S, then the mock's answer."""
    await asyncio.sleep(STALL_S)
    await ex.relay()


async def storm_429(ex: Exchange) -> None:
    await ex.answer(429, "application/json", error_body("Rate limit exceeded", "rate_limit_error", "429"))


async def storm_429_retry_after(ex: Exchange) -> None:
    body = error_body("Rate limit exceeded", "rate_limit_error", "429")
    await ex.answer(429, "application/json", body, ("Retry-After", str(RETRY_AFTER_S)))


async def unavailable_503(ex: Exchange) -> None:
    body = error_body("The server is overloaded", "server_error", "service_unavailable")
    await ex.answer(503, "application/json", body)


async def wrong_length(ex: Exchange) -> None:
    """The mock's answer under a Content-Length 100 bytes longer than the body, then a close."""
    status, headers, body = await ex.forwarded()
    await ex.write(head(status, headers, len(body) + 100) + body)


FAULTS: dict[str, Fault] = {
    "reset": reset,
    "half_stream": half_stream,
    "invalid_utf8": invalid_utf8,
    "not_json": not_json,
    "html_502": html_502,
    "huge_body": huge_body,
    "endless_stream": endless_stream,
    "stall": stall,
    "storm_429": storm_429,
    "storm_429_retry_after": storm_429_retry_after,
    "unavailable_503": unavailable_503,
    "wrong_length": wrong_length,
    "trickle_headers": trickle_headers,
    "gzip_bomb": gzip_bomb,
    "brotli_bomb": brotli_bomb,
    "many_choices": many_choices,
    "million_events": million_events,
    "deep_body": deep_body,
    "long_line": long_line,
    "long_header": long_header,
    "echo_escaped": echo_escaped,
    "echo_split": echo_split,
    "redirect_other": redirect_other,
}


def check_faults(faults: Iterable[str], share: float) -> tuple[str, ...]:
    names = tuple(faults)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise FaultError(f"unknown fault {unknown[0]!r}; known: {', '.join(FAULTS)}")
    if not names:
        raise FaultError("no fault given")
    if not 0 < share <= 1:
        raise FaultError(f"the fault share must be in (0, 1], got {share:g}")
    return names


# -- the server ------------------------------------------------------------------------------------


class FaultServer:
    """One request per connection, answered with a fault or the mock's answer, then the connection closes."""

    def __init__(self, upstream: str, faults: Iterable[str], share: float = 1.0) -> None:
        self.faults = check_faults(faults, share)
        self.share = share
        self.upstream = upstream
        self._posts = 0  # POSTs seen, and of those the faulty ones: picks which get which fault
        self._faulty = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient

    def _pick(self, request: HttpRequest) -> Fault | None:
        """Every POST the share picks (evenly spread, no randomness) gets the next fault in turn."""
        if request.method != "POST":
            return None
        n, self._posts = self._posts, self._posts + 1
        if math.floor((n + 1) * self.share) == math.floor(n * self.share):
            return None
        name = self.faults[self._faulty % len(self.faults)]
        self._faulty += 1
        return FAULTS[name]

    async def serve(self, sock: socket.socket, stop: asyncio.Event) -> None:
        """Serve on the listening `sock` until `stop` is set."""
        import httpx

        async with httpx.AsyncClient(base_url=self.upstream, timeout=60.0) as client:
            self._client = client
            server = await asyncio.start_server(self._connection, sock=sock, limit=HEAD_LIMIT)
            await stop.wait()
            server.close()
            for task in list(self._tasks):  # stalls and endless streams end now, not when they would
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import httpx  # loaded by serve() already

        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await asyncio.wait_for(read_request(reader), READ_TIMEOUT_S)
            if request is None:
                return
            ex = Exchange(request, writer, self._client)
            fault = self._pick(request)
            await (fault(ex) if fault else ex.relay())
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client left or sent garbage: this connection just ends
        except httpx.HTTPError:
            pass  # the mock did not answer: neither does the fault server
        except asyncio.CancelledError:
            pass  # the server is stopping; ending quietly keeps asyncio from logging the cancellation
        finally:
            writer.close()
            self._tasks.discard(task)


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """One HTTP/1.1 request with a Content-Length body (what every harness client sends); None at EOF."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    line, *fields = raw.decode("latin-1").split("\r\n")[:-2]
    method, target, _ = line.split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, _, v in (f.partition(":") for f in fields)]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return HttpRequest(method, target, headers, body)


def loopback_socket(host: str, port: int) -> socket.socket:
    """A listening socket on a loopback address only: a hostile endpoint must not face the network."""
    from mock_server.server import bind, is_loopback

    if not is_loopback(host):
        raise FaultError(f"the fault server binds loopback only, not {host}")
    sock = bind(host, port)
    sock.setblocking(False)
    return sock


def serve_faults(
    upstream: str, faults: Iterable[str], share: float, sock: socket.socket, stop: threading.Event
) -> None:
    """Run the fault server on `sock` (blocking) until `stop` is set."""

    async def main() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def watch() -> None:
            stop.wait()
            loop.call_soon_threadsafe(done.set)

        threading.Thread(target=watch, daemon=True).start()
        await FaultServer(upstream, faults, share).serve(sock, done)

    asyncio.run(main())


@contextmanager
def running_faulty(
    faults: str | Iterable[str],
    share: float = 1.0,
    profile: Profile | str | Path | None = None,
    token: str | None = None,
) -> Iterator[str]:
    """The mock behind the fault server, both on free 127.0.0.1 ports in background threads; yields
    the fault server's root URL ("http://127.0.0.1:PORT", OpenAI base URL that + "/v1")."""
    from mock_server.server import START_TIMEOUT_S, running_mock, url_of

    names = check_faults([faults] if isinstance(faults, str) else faults, share)
    with running_mock(profile, token) as upstream:
        sock = loopback_socket("127.0.0.1", 0)
        stop = threading.Event()
        thread = threading.Thread(
            target=serve_faults,
            args=(upstream, names, share, sock, stop),
            name="servecheck-faults",
            daemon=True,
        )
        thread.start()
        try:
            yield url_of(sock)  # already listening: a client that comes early waits in the backlog
        finally:
            stop.set()
            thread.join(START_TIMEOUT_S)
            sock.close()
