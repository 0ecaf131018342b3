"""`servecheck load` end to end: real Locust subprocesses against real mock servers on loopback.

Every run is a few seconds long and bounded; SERVECHECK_LOAD_LOOPBACK_ONLY makes any non-loopback
target an error.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.load.runner import LOOPBACK_ONLY_ENV

CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
SCENARIOS = {"chat", "chat-stream", "completions", "embeddings", "vision", "tools", "structured"}
pytestmark = pytest.mark.timeout(60)


def load_env(**extra: str) -> dict[str, str]:
    drop = {"OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABRICKS_TOKEN", "DATABRICKS_HOST"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, LOOPBACK_ONLY_ENV: "1", **extra}


def servecheck_load(
    out: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [*CLI, "load", "--out", str(out), "--input-tokens", "32", "--output-tokens", "8", *args]
    return subprocess.run(command, env=env or load_env(), capture_output=True, text=True, timeout=50, cwd=cwd)


def results(out: Path) -> dict:
    return json.loads((out / "load.json").read_text())


def start_mock(tmp: Path, profile: str, token: str | None = None, defects: tuple[str, ...] = ()) -> tuple:
    """A `servecheck mock` subprocess with the YAML `profile`; returns (process, root URL)."""
    path = tmp / "profile.yaml"
    path.write_text(profile)
    command = [*CLI, "mock", "--port", "0", "--profile", str(path), *(f"--defect={d}" for d in defects)]
    env = load_env(**({"SERVECHECK_MOCK_TOKEN": token} if token else {}))
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    assert " on http://127.0.0.1:" in first, first
    return proc, first.split(" on ", 1)[1].split()[0]


def test_every_scenario_on_the_embedded_mock_with_two_processes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = servecheck_load(
        out,
        "--scenario",
        "mix",
        "--users",
        "12",
        "--duration",
        "6s",
        "--processes",
        "2",
        "--validate-sample",
        "1",
        "--batch-size",
        "2",
        "--slo",
        "error_rate<=0",
    )
    assert done.returncode == 0, done.stderr + done.stdout
    run = results(out)
    assert set(run["scenarios"]) == SCENARIOS
    # The mock validates every request against the schemas: no error means every body was valid,
    # and every response (streams reassembled) passed our own validation too.
    assert run["errors"] == 0 and run["errors_by_kind"] == {}
    # Every answer validated, and every user sent (how many answers came in 6 s is the machine's: a
    # fresh-clone run loaded to a stall had 12 answered and 12 in flight at 4 s).
    assert run["validated"] == run["requests"] >= len(SCENARIOS)
    assert run["requests"] + run["unfinished"] >= 12
    assert run["config"]["workers"] == 2 and run["target"]["embedded_mock"]
    assert not run["partial"] and run["slo_passed"]
    streams = [name for name in SCENARIOS if name not in ("chat", "completions", "embeddings")]
    for name in streams:
        assert run["scenarios"][name]["metrics"]["ttft_ms"]["count"] > 0, name
    assert run["scenarios"]["embeddings"]["metrics"]["ttft_ms"]["count"] == 0
    assert run["scenarios"]["embeddings"]["metrics"]["completion_tokens"]["count"] == 0
    assert run["token_source"] == {"usage": run["requests"]}
    assert sum(row["requests"] for row in run["series"]) == run["requests"]
    with (out / "locust_stats.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {row["Type"] for row in rows} == {"POST", ""}  # real requests (and Aggregated), nothing else
    locust_posts = sum(int(row["Request Count"]) for row in rows if row["Type"] == "POST")
    assert locust_posts == run["requests"]  # Locust's merge and ours agree
    with (out / "servecheck_stats.csv").open() as f:
        ours = {(row["Scenario"], row["Metric"]): int(row["count"]) for row in csv.DictReader(f)}
    for name in streams:  # TTFT and friends have a CSV of their own, merged from both processes
        assert ours[(name, "TTFT (ms)")] == run["scenarios"][name]["metrics"]["ttft_ms"]["count"], name
    assert ours[("Aggregated", "ITL (ms)")] == run["metrics"]["itl_ms"]["count"] > 0
    assert "TTFT (ms)" in done.stdout and "SLO pass error_rate<=0" in done.stdout


def test_error_kinds_contract_violations_and_a_secret_token(tmp_path: Path, mock_proc) -> None:
    token = "sk-load-test-SECRET-4b1f0c"
    profile = (
        "faults: {errors: {503: 0.2}, dropped_streams: 0.2, slow_responses: {rate: 0.2, delay_ms: 3000}}\n"
        "output_tokens: {min: 8, max: 8}\n"
    )
    url = mock_proc(profile, token=token, defects=("created_string",))
    out = tmp_path / "run"
    done = servecheck_load(
        out,
        "--base-url",
        url + "/v1",
        "--model",
        "mock-chat",
        "--users",
        "4",
        "--duration",
        "3s",
        "--validate-sample",
        "1",
        "--timeout",
        "0.5",
        "--slo",
        "error_rate<=0.01",
        env=load_env(OPENAI_API_KEY=token),
    )
    assert done.returncode == 1, done.stderr + done.stdout  # the SLO failed
    run = results(out)
    kinds = run["errors_by_kind"]
    assert set(kinds) == {"http_503", "broken_stream", "contract", "timeout"}, kinds
    assert run["errors"] == run["requests"]  # created is a string in every chunk: nothing passes
    assert "chat_chunk" in run["error_samples"]["contract"][0]
    assert "SLO FAIL error_rate<=0.01" in done.stdout
    everything = (
        done.stdout
        + done.stderr
        + "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    )
    assert token not in everything


def test_a_wrong_token_stops_the_run_before_any_load(tmp_path: Path, mock_proc) -> None:
    # It used to run to the end with every request a 401 (error kind http_401), and exit 0.
    url = mock_proc("output_tokens: {min: 4, max: 4}\n", token="sk-right")
    out = tmp_path / "run"
    done = servecheck_load(
        out,
        "--base-url",
        url + "/v1",
        "--scenario",
        "chat",
        "--duration",
        "2s",
        "--token-env",
        "MY_TOKEN",
        env=load_env(MY_TOKEN="sk-wrong"),
    )
    assert done.returncode == 2
    assert "authentication rejected ($MY_TOKEN): GET /models answered 401" in done.stderr
    assert "sk-wrong" not in done.stdout + done.stderr and not (out / "load.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_runs_still_write_partial_results(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "run"
    command = [*CLI, "load", "--out", str(out), "--duration", "60s", "--output-tokens", "8", "--users", "2"]
    proc = subprocess.Popen(
        command, env=load_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(_lines(out / "live.jsonl")) < 2:
        time.sleep(0.2)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], stderr
    run = results(out)
    assert run["partial"] and run["stop_reason"] == "interrupted"
    assert run["requests"] > 0 and run["elapsed_s"] < 20
    assert "partial results: interrupted" in stdout


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []


def test_a_target_that_dies_ends_the_run_with_partial_results(tmp_path: Path) -> None:
    mock, url = start_mock(
        tmp_path, "latency: {ttft: {dist: constant, mean_ms: 20}}\noutput_tokens: {min: 4, max: 4}\n"
    )
    out = tmp_path / "run"
    command = [
        *CLI,
        "load",
        "--out",
        str(out),
        "--base-url",
        url + "/v1",
        "--duration",
        "40s",
        "--users",
        "2",
    ]
    proc = subprocess.Popen(
        command, env=load_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(_lines(out / "live.jsonl")) < 2:
            time.sleep(0.2)
    finally:
        mock.kill()
        mock.wait()
    killed = time.monotonic()
    proc.communicate(timeout=30)
    assert time.monotonic() - killed < 15  # not the 40 s asked for
    assert proc.returncode == 1  # a target that went away fails the run, whatever came before
    run = results(out)
    assert run["partial"] and run["stop_reason"] == "target_unreachable", run["stop_reason"]
    assert run["verdict"] == "failed" and "the target stopped answering" in run["verdict_reasons"][-1]
    # Users back off (50 ms doubling to 2 s): a few dozen tries in the seconds before the stop, where a
    # tight loop made thousands.
    assert 0 < run["errors_by_kind"].get("connection", 0) < 200, run["errors_by_kind"]
    assert run["requests"] > run["errors"]


@pytest.mark.timing
def test_open_loop_keeps_its_rate_when_the_server_is_slow(tmp_path: Path) -> None:
    out = tmp_path / "run"
    # Each answer takes ~270 ms on the realistic mock: 3 closed-loop users would manage ~11 req/s.
    done = servecheck_load(out, "--rate", "30", "--users", "3", "--duration", "4s", "--arrivals", "constant")
    assert done.returncode == 0, done.stderr
    run = results(out)
    plan = {"rate": 30.0, "arrival_rate_per_user": 10.0, "arrivals": "constant", "burstiness": 1.0}
    assert run["config"]["open_loop"] == plan
    assert 90 <= run["requests"] + run["open_loop"]["not_sent"] <= 125
    assert run["open_loop"]["not_sent"] == 0
    assert run["open_loop"]["send_lag_ms"]["p50"] < 10
    assert "open loop: 30 req/s constant" in done.stdout


def test_bursty_arrivals_keep_the_mean_rate(tmp_path: Path) -> None:
    """Gamma arrivals of burstiness 0.25: the same 30 req/s on average (their spread: test_load_openloop).
    Its bounds are wide enough for a busy machine: it runs in the parallel pass."""
    out = tmp_path / "run"
    done = servecheck_load(out, "--rate", "30", "--users", "3", "--duration", "4s", "--burstiness", "0.25")
    assert done.returncode == 0, done.stderr
    run = results(out)
    assert run["config"]["open_loop"]["burstiness"] == 0.25
    sent = run["requests"] + run["open_loop"]["not_sent"]
    assert 50 <= sent <= 200  # 120 expected; bursts make a 4 s count vary
    assert "(burstiness 0.25)" in done.stdout


def test_sweep_reports_levels_and_a_knee(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = servecheck_load(out, "--shape", "sweep", "--users", "4", "--duration", "6s")
    assert done.returncode == 0, done.stderr
    run = results(out)
    rows = run["phases"]
    assert [row["users"] for row in rows] == [1, 2, 4]
    assert rows[0]["rps"] < rows[1]["rps"] < rows[2]["rps"]  # the mock is far from saturated
    assert run["knee"] is not None
    assert "saturation knee" in done.stdout and "<- knee" in done.stdout


def test_databricks_routes_with_requests_from_a_file(tmp_path: Path) -> None:
    prompts = tmp_path / "requests.jsonl"
    lines = [{"messages": [{"role": "user", "content": f"Question {i}?"}], "max_tokens": 6} for i in range(3)]
    prompts.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "run"
    done = servecheck_load(out, "--api", "databricks", "--prompts", str(prompts), "--duration", "2s")
    assert done.returncode == 0, done.stderr
    run = results(out)
    assert run["errors"] == 0 and run["requests"] > 0
    assert run["config"]["api"] == "databricks" and run["config"]["prompts"] == str(prompts)
    assert (
        run["metrics"]["completion_tokens"]["max"] <= 6
        and run["metrics"]["ttft_ms"]["count"] == run["requests"]
    )


def test_a_prompts_file_without_the_scenario_family_is_a_config_error(tmp_path: Path) -> None:
    prompts = tmp_path / "chat_only.jsonl"
    prompts.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    done = servecheck_load(tmp_path / "run", "--scenario", "embeddings", "--prompts", str(prompts))
    assert done.returncode == 2
    assert done.stderr.strip().endswith("no requests for embeddings (it has chat)")
    assert "Traceback" not in done.stderr + done.stdout


def test_max_requests_ends_the_run_once_answered(tmp_path: Path) -> None:
    relative = Path("runs", "capped")  # as `make demo` passes it: relative to the working directory
    done = servecheck_load(
        relative,
        "--scenario",
        "chat",
        "--max-requests",
        "12",
        "--users",
        "3",
        "--duration",
        "30s",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    run = results(tmp_path / relative)
    assert run["requests"] == 12 and run["stop_reason"] == "max_requests" and not run["partial"]
    assert run["elapsed_s"] < 15
