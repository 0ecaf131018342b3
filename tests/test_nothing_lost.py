"""Nothing lost: real `servecheck contract` and `servecheck load` subprocesses get real signals.

SIGINT and SIGTERM wind a run down: the partial report is written, says it is partial and which
signal stopped it, and the exit code is 130 / 143. SIGKILL cannot be caught: what the run flushed as
it went (findings.jsonl; live.jsonl and samples.jsonl) is still there and parses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import psutil
import pytest
from asgi_support import serving
from starlette.types import Receive, Scope, Send

from harness.load.runner import LOOPBACK_ONLY_ENV
from mock_server.app import create_app
from mock_server.profile import load_profile
from mock_server.server import running_mock

CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
TARGET_VARS = ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
pytestmark = pytest.mark.timeout(90)


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in TARGET_VARS}
    return {**clean, LOOPBACK_ONLY_ENV: "1", **extra}


def jsonl(path: Path) -> list[dict]:
    """Every line of a JSONL file, parsed; each must be complete."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.is_file() else []


def wait_for(condition: Callable[[], bool], seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the run to get going"
        time.sleep(0.1)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything it started (Locust, an embedded mock), children first."""
    parent = psutil.Process(pid)
    for proc in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


@contextmanager
def counted_mock() -> Iterator[tuple[str, list[int]]]:
    """The realistic mock, and a one-item list counting the API requests it has answered."""
    app, answered = create_app(load_profile("realistic")), [0]

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)
        answered[0] += scope["type"] == "http" and scope["path"] != "/v1/models"

    with serving(counting) as root:
        yield root, answered


# --- contract ------------------------------------------------------------------------------------


def contract(out: Path, root: str, *args: str) -> subprocess.Popen[str]:
    command = [*CLI, "contract", "--base-url", root + "/v1", "--model", "mock-chat", "--seed", "3",
               "--out", str(out), *args]  # fmt: skip
    return subprocess.Popen(command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signalled_contract_run_writes_its_partial_report(tmp_path: Path, sig: signal.Signals) -> None:
    with counted_mock() as (root, answered):
        run = contract(tmp_path, root, "--families", "chat", "--examples", "200")
        wait_for(lambda: answered[0] >= 4)
        run.send_signal(sig)
        output, _ = run.communicate(timeout=60)
    assert run.returncode == EXIT[sig], output
    assert "Traceback" not in output and "partial run: interrupted" in output
    report = orjson.loads((tmp_path / "contract.json").read_bytes())
    assert report["partial"] and report["stop_reason"] == "interrupted" and report["signal"] == sig.name
    assert report["families"]["chat"]["checks"]["schema.response"]["passed"] > 0
    lines = jsonl(tmp_path / "findings.jsonl")
    assert [line["kind"] for line in lines] == ["run", "family", "end"]
    assert lines[1]["family"] == "chat" and lines[1]["reason"] == "cut short: interrupted"
    assert lines[2]["partial"] and lines[2]["signal"] == sig.name


def test_a_killed_contract_run_leaves_the_families_it_judged(tmp_path: Path) -> None:
    with running_mock(profile="realistic") as root:
        run = contract(
            tmp_path, root, "--families", "chat,errors,stream", "--examples", "20", "--concurrency", "2"
        )
        try:
            wait_for(lambda: any(line["kind"] == "family" for line in jsonl(tmp_path / "findings.jsonl")))
        finally:
            kill_tree(run.pid)
        run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert not (tmp_path / "contract.json").exists()  # the run never got to its report...
    lines = jsonl(tmp_path / "findings.jsonl")  # ...but every line it flushed is whole and parses
    assert lines[0]["kind"] == "run" and lines[0]["seed"] == 3
    assert lines[1]["kind"] == "family" and lines[1]["family"] == "chat" and lines[1]["status"] == "passed"
    assert lines[1]["checks"]["schema.response"]["passed"] == lines[1]["requests"] == 20
    assert "end" not in {line["kind"] for line in lines}  # and it says it never ended


def test_findings_carry_each_failure_as_it_is_judged(tmp_path: Path) -> None:
    with running_mock(defects=["usage_mismatch"]) as root:
        run = contract(tmp_path, root, "--families", "chat,errors", "--examples", "3")
        output, _ = run.communicate(timeout=60)
    assert run.returncode == 1, output
    lines = jsonl(tmp_path / "findings.jsonl")
    report = orjson.loads((tmp_path / "contract.json").read_bytes())
    failures = [line for line in lines if line["kind"] == "failure"]
    assert [f["check"] for f in failures] == [f["check"] for f in report["families"]["chat"]["failures"]]
    assert "chat.usage" in {f["check"] for f in failures} and failures[0]["curl"].startswith("curl")
    assert [line["kind"] for line in lines][-1] == "end" and lines[-1]["verdict"] == "failed"


# --- load ----------------------------------------------------------------------------------------


def load(out: Path, *args: str) -> subprocess.Popen[str]:
    command = [*CLI, "load", "--out", str(out), "--duration", "60s", "--users", "2", "--input-tokens", "16",
               "--output-tokens", "8", *args]  # fmt: skip
    return subprocess.Popen(command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signalled_load_run_writes_its_partial_results(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "run"
    run = load(out)
    wait_for(lambda: len(jsonl(out / "live.jsonl")) >= 2)
    run.send_signal(sig)
    stdout, stderr = run.communicate(timeout=45)
    assert run.returncode == EXIT[sig], stderr
    assert "Traceback" not in stderr and "partial results: interrupted" in stdout
    results = orjson.loads((out / "load.json").read_bytes())
    assert results["partial"] and results["stop_reason"] == "interrupted" and results["signal"] == sig.name
    samples = jsonl(out / "samples.jsonl")
    assert len(samples) == results["requests"] > 0  # every answered request, one line each
    assert len(jsonl(out / "live.jsonl")) >= 2  # the per-second series stays beside load.json


def test_a_killed_load_run_leaves_its_series_and_samples(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with running_mock(profile="realistic") as root:
        run = load(out, "--base-url", root + "/v1")
        try:
            wait_for(lambda: len(jsonl(out / "live.jsonl")) >= 3)
        finally:
            kill_tree(run.pid)
        run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert not (out / "load.json").exists()
    live = jsonl(out / "live.jsonl")
    assert len(live) >= 3 and live[-1]["requests"] > 0
    samples = jsonl(out / "samples.jsonl")
    assert len(samples) >= live[-2]["requests"] > 0  # flushed with each live line, at the latest
    sample = samples[0]
    assert set(sample) == {"t", "scenario", "latency_ms", "ttft_ms", "tpot_ms", "prompt_tokens",
                           "completion_tokens", "error", "excluded", "good"}  # fmt: skip
    assert sample["scenario"] == "chat-stream" and sample["error"] is None
    assert 0 < sample["ttft_ms"] <= sample["latency_ms"] and sample["completion_tokens"] >= 1


def test_what_a_killed_load_run_started_does_not_outlive_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    run = load(out)  # the embedded mock: servecheck starts Locust and the mock
    children: list[psutil.Process] = []
    try:
        wait_for(lambda: len(jsonl(out / "live.jsonl")) >= 2)
        children = psutil.Process(run.pid).children(recursive=True)
        assert len(children) >= 2
        run.kill()  # servecheck alone, by SIGKILL
        run.communicate(timeout=30)
        _, alive = psutil.wait_procs(children, timeout=30)  # they were told: Locust SIGINT, mock SIGTERM
    finally:
        run.kill()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
    assert not alive, alive
    results = orjson.loads((out / "load.json").read_bytes())  # Locust stopped in order and wrote it
    assert results["partial"] and results["requests"] == len(jsonl(out / "samples.jsonl")) > 0
