"""The contract checks: importing this package registers every check in CATALOGUE.

`run_checks(exchange)` runs every check that applies to an exchange and says how each went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Each module registers its checks on import.
from harness.checks import (  # noqa: F401
    adaptive,
    auth,
    chat,
    clients,
    databricks,
    embeddings,
    logprobs,
    models,
    negative,
    reasoning,
    responses,
    robustness,
    schema,
    stream,
    structured,
    tools,
    transport,
    vision,
)
from harness.checks.base import CATALOGUE, Check, CheckFailed, check
from harness.wire.exchange import Exchange

__all__ = ["CATALOGUE", "Check", "CheckFailed", "CheckOutcome", "check", "run_checks"]


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    status: Literal["passed", "failed"]
    message: str = ""
    path: str = ""


def run_checks(exchange: Exchange) -> list[CheckOutcome]:
    """The outcome of every catalogued check whose `applies` holds for `exchange`, in catalogue order."""
    outcomes: list[CheckOutcome] = []
    for entry in CATALOGUE.values():
        if not entry.applies(exchange):
            continue
        try:
            entry.run(exchange)
        except CheckFailed as failure:
            outcomes.append(CheckOutcome(entry.name, "failed", failure.message, failure.path))
        else:
            outcomes.append(CheckOutcome(entry.name, "passed"))
    return outcomes
