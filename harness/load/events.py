"""What a Locust process's servecheck session tells its handlers, as the contract engine does
(harness/contract/events.py): the run folder's files (harness/load/files.py) are one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.load.metrics import LoadMetrics, RequestRecord


@dataclass(frozen=True)
class OptionsRefused:
    message: str  # one line: the process then exits with code 2


@dataclass(frozen=True)
class LoadStarted:
    role: str  # "local", "master" or "worker"
    worker_index: int | None  # a worker's index (its own samples file); None otherwise
    started: float  # perf_counter at test start


@dataclass(frozen=True)
class RequestMeasured:
    record: RequestRecord


@dataclass(frozen=True)
class SecondPassed:
    line: dict[str, Any]  # the progress line (harness/load/results.live_line); only where the run is watched


@dataclass(frozen=True)
class ServerScraped:
    row: dict[str, Any]  # one scrape of the target's metrics (harness/load/server_metrics.py)


@dataclass(frozen=True)
class MeasurementsSent:
    """A worker's report went to the master, or a second passed: what was measured is handed on."""


@dataclass(frozen=True)
class LoadFinished:
    results: dict[str, Any] | None  # load.json; None on a worker (the master writes it)
    secrets: tuple[str, ...]
    metrics: LoadMetrics | None = None  # what the whole run measured, where results are written


LoadEvent = (
    OptionsRefused
    | LoadStarted
    | RequestMeasured
    | SecondPassed
    | ServerScraped
    | MeasurementsSent
    | LoadFinished
)


class LoadHandler:
    def handle(self, event: LoadEvent) -> None:
        raise NotImplementedError
