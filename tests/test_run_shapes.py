"""`servecheck report` and `servecheck diff` on run folders servecheck did not write as they are: one
line naming the file and what is wrong, exit 2, never a traceback (schemas/runs/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app

CASES = {
    "families-not-an-object": ("contract.json", '{"families": 5}', "$.families: 5 is not of type"),
    "check-counts-of-text": (
        "contract.json",
        '{"families": {"chat": {"checks": {"schema.response": {"passed": "3"}}}}}',
        "$.families.chat.checks.schema.response.passed",
    ),
    "failures-not-a-list": ("contract.json", '{"families": {"chat": {"failures": {}}}}', "failures"),
    "load-without-figures": ("load.json", '{"requests": 3}', "is a required property"),
    "metrics-of-the-wrong-kind": (
        "load.json",
        '{"requests": 1, "successful": 1, "errors": 0, "metrics": {"ttft_ms": [1, 2]}}',
        "$.metrics.ttft_ms",
    ),
    "findings-rows-of-the-wrong-shape": (
        "findings.jsonl",
        '{"kind": "family", "family": "chat", "checks": ["schema.response"]}\n',
        "findings.jsonl is not a servecheck contract result",
    ),
}


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_wrong_shape_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    name, text, message = CASES[case]
    run = tmp_path / "run"
    run.mkdir()
    (run / name).write_text(text)
    for args in (("report", str(run)), ("diff", str(run), str(run))):
        code, output = _invoke(*args)
        assert code == 2, output
        assert message in output and "Traceback" not in output
    assert not (run / "report.html").exists()


def test_a_folder_named_like_a_result_file(tmp_path: Path) -> None:
    (tmp_path / "run" / "contract.json").mkdir(parents=True)
    code, output = _invoke("report", str(tmp_path / "run"))
    assert code == 2 and "contract.json cannot be read as JSON" in output


def test_samples_with_odd_times_still_make_a_partial_report(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples.jsonl").write_text(
        '{"t": "soon", "latency_ms": 5, "error": null}\n{"t": 1.5, "latency_ms": 7, "error": null}\n'
    )
    code, output = _invoke("report", str(run))
    assert code == 0, output
    assert (run / "report.html").exists()
