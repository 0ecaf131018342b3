"""The run store: run.json in every contract and load run folder, and `servecheck runs list`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.runs.store import list_runs, write_run_json
from harness.schemas.registry import registry
from mock_server.server import running_mock

TOKEN = "sk-runstore-Zq8vTq3mJx1WbN4"
CLEAN = {name: "" for name in ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")}


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={**CLEAN, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_a_contract_run_writes_run_json_without_the_token(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with running_mock(token=TOKEN) as root:
        code, output = invoke(
            "contract", "--base-url", root + "/v1", "--model", "mock-chat", "--families", "chat",
            "--examples", "1", "--out", str(out), env={"OPENAI_API_KEY": TOKEN},
        )  # fmt: skip
    assert code == 0, output
    text = (out / "run.json").read_text()
    assert TOKEN not in text
    meta = json.loads(text)
    assert meta["kind"] == "contract" and meta["tool"] == "servecheck" and meta["version"]
    assert meta["schemas"] == registry().fingerprint()
    assert meta["schemas_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", meta["schemas_commit"])
    assert meta["target"]["base_url"] == root + "/v1" and meta["target"]["embedded_mock"] is False
    assert meta["target"]["models"]["chat"] == "mock-chat"
    assert meta["flags"]["families"] == ["chat"] and meta["flags"]["examples"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", meta["started_at"])


def test_the_base_url_loses_its_credentials(tmp_path: Path) -> None:
    target = {"base_url": f"https://user:{TOKEN}@example.test/v1", "api": "openai", "embedded_mock": False}
    write_run_json(tmp_path, "load", target, {"users": 4})
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["target"]["base_url"] == "https://example.test/v1"
    assert TOKEN not in (tmp_path / "run.json").read_text()


def fake_run(base: Path, name: str, kind: str, started: str, result: dict | None) -> None:
    run = base / name
    run.mkdir(parents=True)
    target = {"base_url": "http://127.0.0.1:1/v1", "api": "openai", "embedded_mock": False, "models": {}}
    (run / "run.json").write_text(json.dumps({"kind": kind, "started_at": started, "target": target}))
    if result is not None:
        (run / f"{kind}.json").write_text(json.dumps(result))


def test_runs_are_listed_newest_first_with_verdict_and_partial(tmp_path: Path) -> None:
    fake_run(tmp_path, "a", "contract", "2026-01-01T10:00:00+00:00", {"verdict": "failed", "partial": False})
    fake_run(tmp_path, "b", "load", "2026-01-02T10:00:00+00:00", {"verdict": "passed", "partial": True})
    fake_run(tmp_path, "c", "load", "2026-01-03T10:00:00+00:00", None)  # killed: no load.json
    (tmp_path / "not-a-run").mkdir()
    runs = list_runs(tmp_path)
    assert [r.path.name for r in runs] == ["c", "b", "a"]
    assert [(r.verdict, r.partial) for r in runs] == [("unknown", True), ("passed", True), ("failed", False)]
    code, output = invoke("runs", "list", "--base", str(tmp_path))
    assert code == 0, output
    lines = [line for line in output.splitlines() if "2026-01-0" in line]
    assert [line.split("│")[1].strip() for line in lines] == [
        "2026-01-03 10:00:00",
        "2026-01-02 10:00:00",
        "2026-01-01 10:00:00",
    ]
    assert "failed" in lines[2] and "partial" in lines[0] and "partial" not in lines[2]


def test_runs_list_of_an_empty_or_wrong_base(tmp_path: Path) -> None:
    assert invoke("runs", "list", "--base", str(tmp_path / "none")) == (
        0,
        f"no runs under {tmp_path / 'none'}\n",
    )
    (tmp_path / "file").write_text("x")
    code, output = invoke("runs", "list", "--base", str(tmp_path / "file"))
    assert code == 2 and "is not a folder" in output and "Traceback" not in output


def test_run_json_drops_credentials_from_the_base_url_flag() -> None:
    from harness.contract.config import ContractConfig
    from harness.runs.store import flags_of

    flags = flags_of(ContractConfig(base_url="https://alice:s3cr3t-pw@host.example/v1"))
    assert flags["base_url"] == "https://host.example/v1" and "s3cr3t" not in str(flags)


def test_a_serve_folder_lists_each_of_its_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`servecheck load --serve` writes a run folder per web UI test under RUN_DIR/tests/: each is
    listed with its own verdict, start and host (the form may change it); one still running (no
    load.json) as partial."""
    fake_run(
        tmp_path, "older", "contract", "2026-01-01T10:00:00+00:00", {"verdict": "passed", "partial": False}
    )
    fake_run(tmp_path, "svc", "load", "2026-01-02T09:00:00+00:00", None)
    tests = tmp_path / "svc" / "tests"
    for name, started, verdict, partial, host in (
        ("001", 1767348000, "passed", False, "http://127.0.0.1:1/v1"),  # 2026-01-02 10:00 UTC
        ("002", 1767351600, "failed", True, "http://127.0.0.1:2/v1"),
    ):
        (tests / name).mkdir(parents=True)
        result = {"verdict": verdict, "partial": partial, "started_at": started, "config": {"host": host}}
        (tests / name / "load.json").write_text(json.dumps(result))
    (tests / "003").mkdir()
    runs = list_runs(tmp_path)
    assert [r.path.relative_to(tmp_path).as_posix() for r in runs] == [
        "svc/tests/002",
        "svc/tests/001",
        "svc/tests/003",  # no load.json yet: listed at the serve's start
        "older",
    ]
    by_name = {r.path.name: r for r in runs}
    assert (by_name["001"].verdict, by_name["001"].partial, by_name["001"].target) == (
        "passed",
        False,
        "http://127.0.0.1:1/v1",
    )
    assert (by_name["002"].verdict, by_name["002"].partial) == ("failed", True)
    assert (by_name["003"].verdict, by_name["003"].partial) == ("unknown", True)
    assert by_name["002"].started_at == "2026-01-02T11:00:00+00:00"
    monkeypatch.setenv("COLUMNS", "160")
    code, output = invoke("runs", "list", "--base", str(tmp_path))
    assert code == 0 and "svc/tests/002" in output and "127.0.0.1:2" in output, output
