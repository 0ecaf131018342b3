"""What the contract engine tells the world as a run goes: one stream of events, many handlers.

The console (progress bars, the summary), findings.jsonl, the run folder's files (contract.json,
shapes.json, JUnit) and the pytest plugin are handlers of the same stream (harness/report/), chosen
by whoever starts the run, as Schemathesis' engine events and handlers are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from harness.checks import CheckOutcome
from harness.contract.results import ContractResult, Failure, FamilyResult
from harness.wire.exchange import Exchange


@dataclass(frozen=True)
class RunStarted:
    target: dict[str, Any]  # Target.describe(): never the token
    seed: int
    schemas: str  # the schema set's fingerprint
    families: tuple[str, ...]


@dataclass(frozen=True)
class FamilyStarted:
    family: str
    planned: int  # requests the family's cases will send (shrinking may add some)


@dataclass(frozen=True)
class RequestSent:
    family: str
    done: int
    planned: int


@dataclass(frozen=True)
class ExchangeJudged:
    family: str
    exchange: Exchange
    outcomes: tuple[CheckOutcome, ...]  # empty: a feature the target cleanly declined (unsupported)


@dataclass(frozen=True)
class FailureGroupFound:
    failure: Failure  # shrunk, with its reproducer, as contract.json records it


@dataclass(frozen=True)
class FamilyFinished:
    result: FamilyResult  # judged, skipped or cut short


@dataclass(frozen=True)
class RunFinished:
    result: ContractResult  # also when the run was cut (partial, with the stop reason)


Event = (
    RunStarted
    | FamilyStarted
    | RequestSent
    | ExchangeJudged
    | FailureGroupFound
    | FamilyFinished
    | RunFinished
)


class Handler:
    """Receives every event of a run; a context manager so it can hold files or a live display open."""

    def handle(self, event: Event) -> None:
        raise NotImplementedError

    def __enter__(self) -> Handler:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


def emit(handlers: Sequence[Handler], event: Event) -> None:
    for handler in handlers:
        handler.handle(event)
