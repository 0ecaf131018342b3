"""Signals that stop a run: Ctrl-C (SIGINT) and SIGTERM wind a run down the same way, and the exit
code says which one it was (128 + the signal's number, as shells report it)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so everything that handles a Ctrl-C handles it too."""


def signal_name(stop: KeyboardInterrupt) -> str:
    return "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises `Terminated` (a KeyboardInterrupt) instead of killing us."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(sig: int) -> None:
    """Linux: have the kernel send us `sig` when our parent dies, even by SIGKILL, so a process that
    servecheck started (Locust, the embedded mock) never outlives it. Elsewhere: nothing."""
    if sys.platform != "linux":
        return
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:  # it died before the line above took effect
        os.kill(os.getpid(), sig)


def child_command(sig: int, code: str) -> list[str]:
    """A Python command line that runs `code` in a process that gets `sig` when we die."""
    return [
        sys.executable,
        "-c",
        f"from harness.interrupt import die_with_parent; die_with_parent({sig}); {code}",
    ]
