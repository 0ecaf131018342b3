"""A loopback HTTP relay: real clients talk to it, it forwards each request to the target through the
run's TargetClient and answers the client with the target's own bytes.

So the clients family sends what each client really sends and its parser reads what the target really
answered, under the run's rate, budget and retries; the client holds a placeholder token, never the
real one (the TargetClient adds it). Only 127.0.0.1 listens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import orjson

from harness.wire.exchange import Request, Response

# Not forwarded to the client: the relay frames the body itself, already decoded.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
STOPPING = 503  # what a client gets once the run is stopping (budget spent, interrupted)


class Relay:
    """Forwards every request to `forward`, keeping each (request, response) in `seen`, in order."""

    def __init__(self, forward: Callable[[Request], Response]) -> None:
        self.forward = forward
        self.seen: list[tuple[Request, Response]] = []
        self.stopped: BaseException | None = None  # what stopped the run while a client was waiting
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.relay = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="servecheck-relay", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def relay(self, request: Request) -> Response | None:
        """The target's answer to `request`; None once the run is stopping."""
        if self.stopped is not None:
            return None
        try:
            response = self.forward(request)
        except BaseException as stop:  # the budget, an interrupt: the engine re-raises it
            self.stopped = stop
            return None
        with self._lock:
            self.seen.append((request, response))
        return response

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _relay(self) -> None:
        relay: Relay = self.server.relay  # type: ignore[attr-defined]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            self._answer(400, {"content-type": "text/plain"}, b"servecheck relay: the body is not JSON")
            return
        response = relay.relay(Request(self.command, self.path, body))
        if response is None:
            self._answer(STOPPING, {"content-type": "text/plain"}, b"servecheck relay: the run is stopping")
        elif response.status == 0:  # no HTTP answer: the client sees a gateway error, the run the cause
            self._answer(502, {"content-type": "text/plain"}, (response.error or "no answer").encode())
        else:
            self._answer(response.status, response.headers, response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the run reports what was exchanged."""
