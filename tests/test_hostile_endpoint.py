"""The harness against a hostile endpoint: `contract` and `load` survive every fault of mock_server/faults.py.

Each run must end within a bound far below the fault's own duration (a 10 s stall, a stream that never
ends, Retry-After: 30), exit with its documented code, write its whole report, name the fault as a
finding (contract) or an error kind (load), and print no traceback.
"""

from __future__ import annotations

import csv
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from test_contract_e2e import clean_env, contract, report
from test_hostile_limits import CONTRACT as LIMITS
from test_load_run import CLI, load_env, results, servecheck_load
from typer.testing import CliRunner

from harness.cli import app
from mock_server.faults import FAULTS, RETRY_AFTER_S, STALL_S, running_faulty

pytestmark = pytest.mark.timeout(60)

TIMEOUT_S = "0.5"  # --timeout of the contract runs
# fault -> (family, the check that must fail, a fragment of its message)
CONTRACT = {
    "reset": ("chat", "transport.status", "connection error"),
    "half_stream": ("stream", "stream.done", "[DONE]"),
    "invalid_utf8": ("stream", "stream.framing", "invalid UTF-8"),
    "not_json": ("chat", "transport.body_parses", "does not parse"),
    "html_502": ("chat", "transport.status", "status 502"),  # robustness.no_server_error: strict
    "huge_body": ("chat", "transport.status", "too large"),
    "endless_stream": ("chat", "transport.status", "deadline"),  # streams: the load run below
    "stall": ("chat", "transport.status", "timeout"),
    "storm_429": ("chat", "transport.status", "status 429"),
    "storm_429_retry_after": ("chat", "transport.status", "status 429"),
    "unavailable_503": ("chat", "transport.status", "status 503"),
    "wrong_length": ("chat", "transport.status", "protocol error"),
}
# Two load runs, each mixing faults whose error kinds tell them apart: fault -> (kind, detail fragment).
LOAD_RUNS = {
    "transport": {
        "reset": ("connection", "HTTPConnectionClosed"),
        "html_502": ("http_502", "HTTP 502"),
        "huge_body": ("too_large", "16 MiB limit"),
        "storm_429": ("http_429", "HTTP 429"),
        "unavailable_503": ("http_503", "HTTP 503"),
        "stall": ("timeout", "Timeout"),
    },
    "body": {
        "half_stream": ("broken_stream", "without data: [DONE]"),
        "invalid_utf8": ("broken_stream", "invalid UTF-8"),
        "wrong_length": ("broken_stream", "connection broke while reading the body"),
        "endless_stream": ("timeout", "no complete response within 1 s"),
        "storm_429_retry_after": ("http_429", "HTTP 429"),
        "not_json": ("broken_stream", "without data: [DONE]"),
    },
}


def test_every_fault_is_covered() -> None:
    assert set(CONTRACT) | set(LIMITS) == set(FAULTS) and not set(CONTRACT) & set(LIMITS)
    assert {fault for run in LOAD_RUNS.values() for fault in run} == set(CONTRACT)


@pytest.mark.parametrize("fault", list(CONTRACT))
def test_contract_reports_the_fault_as_a_finding(fault: str, tmp_path: Path) -> None:
    family, check, fragment = CONTRACT[fault]
    with running_faulty(fault) as root:
        started = time.monotonic()
        code, output = contract(
            "--base-url", root + "/v1", "--model", "mock-chat", "--families", family,
            "--examples", "1", "--timeout", TIMEOUT_S, "--out", str(tmp_path), env=clean_env(),
        )  # fmt: skip
        elapsed = time.monotonic() - started
    # Well below the 10 s stall and a single Retry-After: each wait was cut at --timeout.
    assert elapsed < min(STALL_S, RETRY_AFTER_S), elapsed
    assert code == 1, output
    assert "Traceback" not in output
    data = report(tmp_path)
    assert data["verdict"] == "failed" and not data["partial"]
    failures = {f["check"]: f for f in data["families"][family]["failures"]}
    assert check in failures, sorted(failures)
    assert fragment in failures[check]["message"], failures[check]["message"]
    assert failures[check]["curl"].startswith("curl ") and failures[check]["request"]["body"]
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    assert any(
        case.get("name").startswith(check + " ") and case.find("failure") is not None for case in cases
    )


def test_a_huge_body_is_cut_at_the_limit_in_the_report(tmp_path: Path) -> None:
    with running_faulty("huge_body") as root:
        code, _ = contract(
            "--base-url", root + "/v1", "--model", "mock-chat", "--families", "chat",
            "--examples", "1", "--out", str(tmp_path), env=clean_env(),
        )  # fmt: skip
    assert code == 1
    assert (tmp_path / "contract.json").stat().st_size < 1_000_000  # an excerpt, not 50 MB


@pytest.mark.parametrize("run", list(LOAD_RUNS))
def test_load_reports_each_fault_as_an_error_kind(run: str, tmp_path: Path) -> None:
    expected = LOAD_RUNS[run]
    out = tmp_path / "run"
    with running_faulty(list(expected)) as root:
        started = time.monotonic()
        done = servecheck_load(
            out, "--base-url", root + "/v1", "--users", "4", "--duration", "3s", "--timeout", "1"
        )
        elapsed = time.monotonic() - started
    assert elapsed < 20, elapsed
    assert done.returncode == 1, done.stderr + done.stdout  # every request failed: never a pass
    log = (out / "locust.log").read_text(errors="replace")
    assert "Traceback" not in done.stdout + done.stderr + log
    data = results(out)
    assert not data["partial"] and data["requests"] == data["errors"] > len(expected)
    assert data["verdict"] == "failed" and data["verdict_reasons"][0].startswith("no request succeeded")
    assert set(data["errors_by_kind"]) == {kind for kind, _ in expected.values()}
    for fault, (kind, detail) in expected.items():
        assert any(detail in sample for sample in data["error_samples"][kind]), (fault, data["error_samples"])
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv"):
        with (out / name).open() as f:
            assert list(csv.DictReader(f)), name
    with (out / "locust_exceptions.csv").open() as f:
        assert list(csv.DictReader(f)) == []  # every failure was measured, none escaped the user


def test_mock_cli_lists_faults_and_refuses_bad_ones() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["mock", "--help"], env={"COLUMNS": "300"}).output
    assert all(name in listed for name in FAULTS)
    for args, message in [
        (["--fault", "melt"], "unknown fault 'melt'"),
        (["--fault", "reset", "--fault-share", "0"], "share must be in (0, 1]"),
        (["--fault", "reset", "--host", "0.0.0.0", "--port", "0"], "loopback only"),
    ]:
        result = runner.invoke(app, ["mock", *args])
        assert result.exit_code == 2 and message in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_mock_cli_serves_a_share_of_faults(tmp_path: Path) -> None:
    command = [*CLI, "mock", "--port", "0", "--fault", "html_502", "--fault-share", "0.5"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=load_env())
    try:
        first = proc.stdout.readline()
        assert " on http://127.0.0.1:" in first, first
        root = first.split(" on ", 1)[1].split()[0]
        body = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
        with httpx.Client(base_url=root, timeout=5) as client:
            assert client.get("/v1/models").status_code == 200  # GETs pass untouched
            statuses = [client.post("/v1/chat/completions", json=body).status_code for _ in range(4)]
        assert statuses == [200, 502, 200, 502]
    finally:
        proc.kill()
        proc.wait()
