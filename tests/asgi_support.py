"""Serve any ASGI app (a wrapped mock) on a free 127.0.0.1 port for a test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from mock_server import server


@contextmanager
def serving(app: ASGIApp, **config: Any) -> Iterator[str]:
    """`app` on a free 127.0.0.1 port in a background thread; yields its root URL (https when `config`,
    uvicorn's, names a certificate)."""
    sock = server.bind("127.0.0.1", 0)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", **config))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        url = server.url_of(sock)
        yield url.replace("http://", "https://", 1) if config.get("ssl_certfile") else url
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()
