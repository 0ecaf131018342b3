"""Signals that stop a run: Ctrl-C (SIGINT) and SIGTERM wind a run down the same way, and the exit
code says which one it was (128 + the signal's number, as shells report it).

The handler raises where the signal lands, which is prompt, but Python discards an exception raised
inside some callbacks (a garbage-collection callback of Hypothesis, a weakref finaliser): so it also
records the signal, and `check_stop()`, called at the run's safe points (each case drawn, each answer
judged, each shrinking step), raises it again if nobody acted on it."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so everything that handles a Ctrl-C handles it too."""


def signal_name(stop: KeyboardInterrupt) -> str:
    return "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"


_PENDING: list[str] = []  # signals received that no stop has acted on yet


def _stop(name: str) -> KeyboardInterrupt:
    return Terminated() if name == "SIGTERM" else KeyboardInterrupt()


def _on_signal(signum: int, frame: object) -> None:
    name = signal.Signals(signum).name
    _PENDING.append(name)
    raise _stop(name)


def check_stop() -> None:
    """A safe point: raise the stop a signal asked for if its own raise was swallowed."""
    if _PENDING:
        name = _PENDING[-1]
        _PENDING.clear()
        raise _stop(name)


def acknowledge() -> None:
    """The run is stopping for the signal it caught: nothing is pending any more."""
    _PENDING.clear()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises `Terminated` (a KeyboardInterrupt) instead of killing us, and
    SIGINT a KeyboardInterrupt as usual; both are also recorded for `check_stop()`. A stop Python
    swallows in a callback is not printed either (it would print it with a traceback, then drop it):
    it is not dropped, `check_stop()` raises it again."""
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if not (_PENDING and isinstance(info.exc_value, KeyboardInterrupt)):
            previous_hook(info)

    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = previous_hook
        _PENDING.clear()


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
