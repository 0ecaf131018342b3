"""A load run's files in its run folder, a handler of the session's events: samples.jsonl (one per
load-generating process) and live.jsonl (where the run is watched) as the run goes, flushed at least
once a second so they outlive a killed process; load.json at the end; config_error.txt instead of
all that when the options are refused. servecheck_stats.csv (our distributions, as Locust's CSV holds
its request statistics) is written just before load.json."""

from __future__ import annotations

from pathlib import Path

from harness.load.events import (
    LoadEvent,
    LoadFinished,
    LoadHandler,
    LoadStarted,
    MeasurementsSent,
    OptionsRefused,
    RequestMeasured,
    SecondPassed,
    ServerScraped,
)
from harness.load.samples import SampleLog
from harness.load.tables import distributions
from harness.runs import layout
from harness.runs.files import JsonLines, write_json, write_text


class LoadFiles(LoadHandler):
    def __init__(self, out: Path) -> None:
        self.out = out
        self._samples: SampleLog | None = None
        self._live: JsonLines | None = None
        self._server: JsonLines | None = None

    def handle(self, event: LoadEvent) -> None:
        match event:
            case OptionsRefused(message):
                write_text(self.out / layout.CONFIG_ERROR, message)
            case LoadStarted(role, worker_index, started):
                self.close()
                if role != "master":  # the master sends no requests
                    self._samples = SampleLog(self.out / layout.samples(worker_index), started)
                if role != "worker":
                    self._live = JsonLines(self.out / layout.LIVE)
            case RequestMeasured(record) if self._samples is not None:
                self._samples.add(record)
            case SecondPassed(line) if self._live is not None:
                self._live.write(line)
            case ServerScraped(row):
                if self._server is None:
                    self._server = JsonLines(self.out / layout.SERVER_METRICS)
                self._server.write(row)
            case MeasurementsSent() if self._samples is not None:
                self._samples.flush()
            case LoadFinished(results, secrets, metrics):
                if self._samples is not None:
                    self._samples.flush()
                if metrics is not None:
                    write_text(self.out / layout.LLM_STATS, distributions(metrics).csv(), secrets)
                if results is not None:
                    write_json(self.out / layout.LOAD, results, secrets)
                self.close()

    def close(self) -> None:
        for file in (self._samples, self._live, self._server):
            if file is not None:
                file.close()
        self._samples = self._live = self._server = None
