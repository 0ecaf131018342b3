"""Run the mock: in a background thread for tests and the harness (`running_mock`), or in the
foreground for the CLI (`serve`). Both listen on a socket bound here, so a busy port is a clear
error and port 0 picks a free one. Both cut off clients too slow to send a request head."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import anyio
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mock_server import limits
from mock_server.app import create_app
from mock_server.errors import ApiError
from mock_server.profile import Profile, load_profile

START_TIMEOUT_S = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free port); OSError when that is impossible."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus a deadline for each request head. uvicorn closes idle
    keep-alive connections, but waits forever on a fresh connection or on a head sent a byte at a
    time (slow loris); here the head must be complete within `limits.HEADER_TIMEOUT_S` of the
    connection opening or of the previous answer, else a 408 envelope and the connection closes."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle now: no pipelined request is running
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(limits.HEADER_TIMEOUT_S, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            message = f"The request head did not arrive within {limits.HEADER_TIMEOUT_S:g} s."
            body = ApiError(408, message).body()
            head = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            self.transport.write(head + b"content-length: %d\r\n\r\n" % len(body) + body)
            self.transport.close()


def _server(app: ASGIApp) -> uvicorn.Server:
    # Starlette streams through anyio, which imports its asyncio backend on first use: without this
    # the first streamed answer a mock gives arrives 25 ms late, inside a client's first TTFT.
    with suppress(RuntimeError):  # called inside a running loop: nothing to warm then
        anyio.run(anyio.sleep, 0)
    # loop "auto" picks uvloop (installed with uvicorn[standard], as is httptools).
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", loop="auto", http=HeadDeadlineProtocol
    )
    return uvicorn.Server(config)


@contextmanager
def running_mock(
    profile: Profile | str | Path | None = None,
    token: str | None = None,
    defects: Iterable[str] = (),
    host: str = "127.0.0.1",
    flavour: str | None = None,
) -> Iterator[str]:
    """Serve the mock on a free port of `host` in a background thread; yields its root URL
    ("http://127.0.0.1:PORT"; the OpenAI base URL is that + "/v1") and stops it on exit."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    if not is_loopback(host):
        warnings.warn(exposed_warning(host), stacklevel=3)
    server = _server(create_app(profile, token, defects, flavour))
    sock = bind(host, 0)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="servecheck-mock", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the mock server did not start")
        time.sleep(0.005)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()


def serve(app: ASGIApp, host: str, port: int, announce: Callable[[str], None] = print) -> None:
    """Serve `app` on host:port (0: a free port) until interrupted; `announce` gets the root URL once
    the port is bound. Raises OSError when the address cannot be bound."""
    if not is_loopback(host):
        print(exposed_warning(host), file=sys.stderr)
    sock = bind(host, port)
    announce(url_of(sock))
    try:
        _server(app).run(sockets=[sock])
    finally:
        sock.close()


def exposed_warning(host: str) -> str:
    return f"warning: the mock listens on {host}, not a loopback address: other machines can reach it"
