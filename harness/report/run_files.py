"""A contract run's result files, written when the run finishes (a handler of its events): contract.json,
shapes.json and junit.xml in the run folder, and JUnit again wherever --junit asks; every secret masked
as a last safety net."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.contract.events import Event, Handler, RunFinished
from harness.contract.results import ContractResult
from harness.contract.shapes import shapes_document
from harness.report.findings_jsonl import FindingsLog
from harness.report.junit import junit_xml
from harness.runs import layout
from harness.runs.files import write_json, write_text


def run_folder_handlers(run_dir: Path, secrets: Iterable[str], junit: Path | None = None) -> list[Handler]:
    """What a contract run writes into its folder, for the CLI and the pytest plugin alike: findings.jsonl
    as it goes, the result files at the end."""
    secrets = list(secrets)
    return [FindingsLog(run_dir / layout.FINDINGS, secrets), RunFiles(run_dir, secrets, junit)]


class RunFiles(Handler):
    def __init__(self, run_dir: Path, secrets: Iterable[str], junit: Path | None = None) -> None:
        self.run_dir = run_dir
        self.secrets = list(secrets)
        self.junit = junit

    def handle(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self.write(event.result)

    def write(self, result: ContractResult) -> None:
        write_json(self.run_dir / layout.CONTRACT, result.to_dict(), self.secrets)
        shapes = shapes_document({name: fam.shapes for name, fam in result.families.items()})
        write_json(self.run_dir / layout.SHAPES, shapes, self.secrets)
        xml = junit_xml(result)
        for path in (self.run_dir / layout.JUNIT, *([self.junit] if self.junit else [])):
            write_text(path, xml, self.secrets)
