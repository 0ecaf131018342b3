"""The benchmarks' servers: each runs as its own process and prints its root URL when it listens."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

URL = re.compile(r"http://127\.0\.0\.1:\d+")  # the first one a server prints is its root URL
START_TIMEOUT_S = 30.0


class ServerError(Exception):
    """A server that did not start; the message says which and what it printed."""


def mock_command(profile: str | Path) -> list[str]:
    """`servecheck mock` on a free loopback port with `profile` (a built-in name or a YAML file)."""
    cli = [sys.executable, "-c", "from harness.cli import app; app()"]
    return [*cli, "mock", "--port", "0", "--profile", str(profile)]


def start(command: list[str], cpu: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start `command` in its own session (pinned to core `cpu` with taskset when given); returns it and
    the root URL it prints. Raises ServerError, the process stopped, when none comes in START_TIMEOUT_S."""
    pinned = ["taskset", "-c", cpu, *command] if cpu is not None else command
    proc = subprocess.Popen(pinned, stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    out, printed = proc.stdout.fileno(), b""
    deadline = time.monotonic() + START_TIMEOUT_S
    while (left := deadline - time.monotonic()) > 0 and select.select([out], [], [], left)[0]:
        data = os.read(out, 65536)
        if not data:  # the server exited
            break
        printed += data
        if found := URL.search(printed.decode(errors="replace")):
            return proc, found.group()
    stop(proc)
    raise ServerError(
        f"server did not print its URL within {START_TIMEOUT_S:g} s: {' '.join(command)}"
        f" (printed: {printed.decode(errors='replace').strip()[:300]!r})"
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
