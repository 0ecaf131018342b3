"""What a check is, and the catalogue every check registers itself in.

A check is a small function over an Exchange. It returns None when the exchange honours the contract
and raises CheckFailed (with a message saying what was expected and what came back, and the JSON path)
when it does not. `applies` says whether the check has anything to judge in a given exchange; a check
that does not apply is neither passed nor failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.levels import LEVELS
from harness.wire.exchange import Exchange


class CheckFailed(Exception):
    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True)
class Check:
    name: str  # "<group>.<what>", e.g. "stream.done"
    description: str  # one line, shown by `servecheck checks list`: the rule
    run: Callable[[Exchange], None]
    applies: Callable[[Exchange], bool]
    level: str  # one of LEVELS
    why: str  # why the rule matters (`servecheck explain`)
    breaks: str  # which clients break when it is broken

    @property
    def code(self) -> str:
        """The stable code of the check's failures: "stream.done" -> "SC-STREAM-DONE"."""
        return code_of(self.name)


def code_of(name: str) -> str:
    return "SC-" + name.upper().replace(".", "-").replace("_", "-")


CATALOGUE: dict[str, Check] = {}


def check(
    name: str,
    description: str,
    applies: Callable[[Exchange], bool] = lambda ex: True,
    *,
    level: str,
    why: str,
    breaks: str,
) -> Callable[[Callable[[Exchange], None]], Callable[[Exchange], None]]:
    """Register the decorated function in the catalogue under `name`."""
    if level not in LEVELS:
        raise ValueError(f"check {name!r}: level must be one of {', '.join(LEVELS)}")

    def register(func: Callable[[Exchange], None]) -> Callable[[Exchange], None]:
        if name in CATALOGUE:
            raise ValueError(f"check {name!r} registered twice")
        CATALOGUE[name] = Check(name, description, func, applies, level, why, breaks)
        return func

    return register


def by_code(code: str) -> Check | None:
    """The check whose failures carry `code` (case-insensitive), None for an unknown code."""
    return next((c for c in CATALOGUE.values() if c.code == code.strip().upper()), None)
