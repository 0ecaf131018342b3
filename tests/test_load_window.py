"""The measured window (--warmup, --cooldown, --requests) and goodput (--goodput): parsing, the
per-request judgement, and end to end against a mock whose slow answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_load_run import results, servecheck_load
from typer.testing import CliRunner

from harness.cli import app
from harness.load.metrics import RequestRecord
from harness.load.window import Warmup, Window, is_good, parse_goodput, parse_warmup, request_value

FAST = "latency: {ttft: {dist: constant, mean_ms: 20}, itl_ms: 1}\noutput_tokens: {min: 4, max: 8}\n"


def test_goodput_objectives_parse_with_vllm_names() -> None:
    assert parse_goodput("ttft_ms:500, tpot_ms:50,e2e_ms:5000") == {
        "ttft_ms": 500.0,
        "tpot_ms": 50.0,
        "latency_ms": 5000.0,
    }
    assert parse_goodput("") == {}
    for bad, message in (
        ("ttft:500", "unknown per-request metric 'ttft'"),
        ("itl_ms:5", "unknown per-request metric 'itl_ms'"),  # a request has many ITLs: no one value
        ("ttft_ms=500", "give METRIC:MS pairs"),
        ("ttft_ms:0", "must be a positive"),
    ):
        with pytest.raises(ValueError, match=message):
            parse_goodput(bad)


def test_warmup_is_a_time_or_a_count() -> None:
    assert parse_warmup("10s") == Warmup(seconds=10.0) and str(parse_warmup("10s")) == "10s"
    assert parse_warmup("50") == Warmup(requests=50) and str(parse_warmup("50")) == "50"
    assert not parse_warmup("0") and not parse_warmup("")
    with pytest.raises(ValueError, match="--warmup '1m'"):
        parse_warmup("1m")


def test_a_request_is_good_only_when_it_succeeded_and_met_every_objective() -> None:
    stream = RequestRecord("s", 0.0, latency_ms=1100.0, ttft_ms=100.0, completion_tokens=11)  # TPOT 100
    assert is_good(stream, {"ttft_ms": 100, "tpot_ms": 100, "latency_ms": 1100})  # limits are inclusive
    assert not is_good(stream, {"ttft_ms": 99.9})
    assert not is_good(stream, {"tpot_ms": 50})
    assert not is_good(stream, {"latency_ms": 1000})
    failed = RequestRecord("s", 0.0, latency_ms=10.0, ttft_ms=5.0, error="http_503")
    assert not is_good(failed, {"latency_ms": 1000})
    plain = RequestRecord("s", 0.0, latency_ms=300.0, completion_tokens=1)  # not streamed, one token
    assert request_value(plain, "ttft_ms") == 300.0 and request_value(plain, "tpot_ms") == 0.0
    assert is_good(plain, {"ttft_ms": 300, "tpot_ms": 1}) and not is_good(plain, {"ttft_ms": 299})


SLOW = "faults: {slow_responses: {rate: 0.3, delay_ms: 400}}\n" + FAST


def _samples(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]


def test_goodput_counts_exactly_the_requests_that_met_the_objectives(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(SLOW)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--users", "4", "--duration", "4s",
        "--goodput", "e2e_ms:300", "--slo", "goodput_rps>=1",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run = results(out)
    samples = _samples(out)
    judged = [s for s in samples if not s["excluded"] and not s["error"]]
    met = [s for s in judged if s["latency_ms"] <= 300]
    assert [s["good"] for s in judged] == [s["latency_ms"] <= 300 for s in judged]  # each judged right
    assert run["good_requests"] == len(met) > 0
    assert 0.4 < len(met) / len(judged) < 0.95  # 30% of answers are held 400 ms: they miss the objective
    assert run["goodput_rps"] == pytest.approx(len(met) / run["elapsed_s"], rel=1e-6)
    tokens = sum(s["completion_tokens"] for s in met)
    assert run["goodput_tokens_per_s"] == pytest.approx(tokens / run["elapsed_s"], rel=1e-6)
    assert run["goodput_rps"] < run["rps"]
    assert sum(row["good"] for row in run["series"]) == len(met)
    assert "met latency_ms<=300" in " ".join(done.stdout.split())
    assert run["config"]["goodput"] == {"latency_ms": 300.0}


def test_a_counted_warmup_and_a_fixed_request_count(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(FAST)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--users", "3", "--duration", "40s",
        "--warmup", "6", "--requests", "30",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run = results(out)
    assert run["requests"] == 30 and run["window"]["excluded"] == {"warmup": 6}
    assert run["stop_reason"] == "completed" and not run["partial"] and run["elapsed_s"] < 30
    samples = _samples(out)
    assert len(samples) == 36 and [s["excluded"] for s in samples[:6]] == ["warmup"] * 6
    assert not any(s["excluded"] for s in samples[6:])
    assert run["metrics"]["latency_ms"]["count"] == 30  # the warm-up is in no figure


def test_a_timed_warmup_and_cooldown_leave_their_answers_out(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(FAST)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--users", "2", "--duration", "5s",
        "--warmup", "1s", "--cooldown", "1s",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run = results(out)
    samples = _samples(out)
    assert {s["excluded"] for s in samples if s["t"] < 1} == {"warmup"}
    assert {s["excluded"] for s in samples if 1 <= s["t"] < 4} == {None}
    assert {s["excluded"] for s in samples if s["t"] >= 4} == {"cooldown"}
    assert run["requests"] == sum(1 for s in samples if not s["excluded"])
    assert run["window"]["excluded"]["warmup"] > 0 and run["window"]["excluded"]["cooldown"] > 0
    assert 2.5 < run["window"]["measured_s"] < 3.5  # the rates divide by the window, not the run
    assert run["rps"] == pytest.approx(run["successful"] / run["window"]["measured_s"])
    assert "measured window" in done.stdout


def test_a_cut_request_count_and_goodput_without_objectives_fail_the_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--duration", "2s", "--users", "2", "--requests", "100000", "--slo", "goodput_rps>=0"
    )
    run = results(out)
    assert done.returncode == 1 and run["partial"] and run["stop_reason"] == "duration_before_requests"
    assert f"--duration ended the run after {run['requests']} of the 100000 requests" in done.stdout
    assert run["goodput_rps"] is None and run["good_requests"] is None  # no objectives: not claimed
    assert "SLO failed: goodput_rps>=0" in done.stdout  # no data is not a pass


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--goodput", "ttft:5"], "unknown per-request metric"),
        (["--warmup", "abc"], "--warmup 'abc'"),
        (["--cooldown", "soon"], "--cooldown 'soon'"),
        (["--duration", "5s", "--warmup", "3s", "--cooldown", "2s"], "leave nothing of a 5 s run"),
        (["--duration", "5s", "--cooldown", "5s"], "leaves nothing of a 5 s run"),
        (["--requests", "-1"], "--requests must be at least 1"),
    ],
)
def test_window_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["load", "--out", str(tmp_path / "run"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_the_window_leaves_out_a_counted_warmup_then_a_timed_one_and_the_cooldown() -> None:
    window = Window(Warmup(seconds=1.0), cooldown_s=2, run_time_s=10, warmup_share=2)
    said = [window.outside(t) for t in (5.0, 5.0, 0.5, 1.0, 7.9, 8.0, 9.5)]
    assert said == ["warmup", "warmup", "warmup", None, None, "cooldown", "cooldown"]
    assert Window(Warmup(), cooldown_s=2, run_time_s=0, warmup_share=0).outside(99.0) is None  # no run time
