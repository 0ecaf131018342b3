"""DIR/findings.jsonl: the contract run written as it goes, one JSON object a line, flushed at once,
so a run killed mid-way (even by SIGKILL) leaves every family judged so far.

Lines, by "kind": "run" (target, seed, schemas) first; then per judged family one "failure" line per
failure group and a "family" line (status, reason, requests, per-check counts, unsupported
features); "end" (verdict, partial, stop_reason, signal, level, baseline, totals) when the run ends
in order. No "end" line: the run was killed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.contract.events import Event, FamilyFinished, Handler, RunFinished, RunStarted
from harness.contract.results import ContractResult, FamilyResult
from harness.runs.files import JsonLines


class FindingsLog(Handler):
    """Appends findings to a JSONL file as the run's events come, every secret masked, each line flushed
    when written."""

    def __init__(self, path: Path, secrets: Iterable[str]) -> None:
        self._file = JsonLines(path, secrets, append=False)

    def _write(self, kind: str, data: dict[str, Any]) -> None:
        self._file.write({"kind": kind, **data})  # flushed: it survives the process being killed

    def handle(self, event: Event) -> None:
        match event:
            case RunStarted(target, seed, schemas, _):
                self.start(target, seed, schemas)
            case FamilyFinished(result):
                self.family(result)
            case RunFinished(result):
                self.end(result)

    def start(self, target: dict[str, Any], seed: int, schemas: str) -> None:
        self._write("run", {"target": target, "seed": seed, "schemas": schemas})

    def family(self, fam: FamilyResult) -> None:
        for failure in fam.failures:
            self._write("failure", asdict(failure))
        summary = fam.to_dict()
        del summary["failures"]
        self._write("family", {"family": fam.family, **summary})

    def end(self, result: ContractResult) -> None:
        data = result.to_dict()
        keys = (
            "verdict",
            "partial",
            "stop_reason",
            "signal",
            "elapsed_s",
            "requests",
            "level",
            "baseline",
            "totals",
        )
        self._write("end", {key: data[key] for key in keys})

    def __enter__(self) -> FindingsLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()
