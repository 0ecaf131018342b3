"""Saturation: the rate sweep's plan and levels, over-saturation read from the per-second series, the
mock's batch slots that make a server saturate on cue, and both end to end."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from test_load_run import results, servecheck_load

from harness.load.metrics import Second
from harness.load.saturation import Level, kept_up, levels_for, over_saturated, probe_throughput, rate_at
from harness.load.shapes import RATE_LEVELS, Plan

# Two slots, 100 ms to the first token and 20 tokens 5 ms apart: about 10 answers a second at most.
CAPPED = (
    "latency: {ttft: {dist: constant, mean_ms: 100}, itl_ms: 5}\n"
    "output_tokens: {min: 20, max: 20}\nmax_concurrency: 2\n"
)


def test_the_rate_sweep_plan_probes_then_offers_shares_of_what_it_found() -> None:
    plan = Plan("rate-sweep", users=8, spawn_rate=8.0, duration=60.0)
    phases = plan.phases
    assert len(phases) == RATE_LEVELS + 1 and phases[0].share is None  # the probe: closed loop
    assert [p.share for p in phases[1:]] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert plan.at(5.0) == (8, 8.0) and plan.at(59.0) == (8, 8.0)  # the users stay: the rate varies
    series = {s: Second(requests=12, errors=2) for s in range(11)}  # the probe: 10 successful a second
    assert probe_throughput(plan, series) == 10.0
    levels = levels_for(plan, 10.0)
    assert [level.rate for level in levels] == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert rate_at(levels, 5.0) is None and rate_at(levels, 25.0) == 4.0 and rate_at(levels, 99.0) == 10.0


def _second(sent: int, done: int, ttft: float) -> Second:
    return Second(requests=done, sent=sent, ttft_ms_sum=ttft * done, ttft_count=done)


def test_over_saturation_needs_a_growing_queue_and_a_climbing_ttft() -> None:
    level = [Level(0.0, 60.0, 20.0)]
    piling = {s: _second(20, 10, 100.0 * s) for s in range(1, 8)}  # 10 a second more sent than done
    found = over_saturated(level, piling, complete_to=8)
    assert found is not None and found["backlog"] == 70 and found["offered_rps"] == 20.0
    assert found["ttft_ms_last"] > 1.5 * found["ttft_ms_first"]
    assert over_saturated(level, piling, complete_to=4) is None  # too few complete seconds yet
    keeping_up = {s: _second(20, 20, 100.0) for s in range(1, 8)}
    assert over_saturated(level, keeping_up, complete_to=8) is None
    flat_ttft = {s: _second(20, 10, 100.0) for s in range(1, 8)}  # a queue without waiting: no
    assert over_saturated(level, flat_ttft, complete_to=8) is None
    small = {s: _second(3, 2, 100.0 * s) for s in range(1, 5)}  # 4 queued: under max(5, a second's worth)
    assert over_saturated([Level(0.0, 60.0, 3.0)], small, complete_to=8) is None


def test_a_level_kept_up_when_it_answered_what_it_sent() -> None:
    def level(sent: int, answered: int, seconds: int = 2) -> dict:
        return {"sent": sent, "rps": answered / seconds, "measured_s": seconds}

    # A Poisson schedule at 2 req/s sent 3 in two seconds, all answered: kept up, though under 90%
    # of the nominal 4 (what made this a coin toss at low rates).
    assert kept_up(level(3, 3))
    assert kept_up(level(6, 5))  # one answer still in flight as the level ended
    assert not kept_up(level(6, 3))
    assert not kept_up(level(40, 30, seconds=4))  # a quarter of the arrivals left waiting
    assert kept_up(level(40, 36, seconds=4))


@pytest.mark.timing
def test_the_mock_queues_answers_beyond_its_slots(mock_proc) -> None:
    url = mock_proc("latency: {ttft: {dist: constant, mean_ms: 150}, itl_ms: 1}\nmax_concurrency: 1\n")
    body = {"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}

    async def timed(client: httpx.AsyncClient) -> float:
        start = time.perf_counter()
        (await client.post(url + "/v1/chat/completions", json=body)).raise_for_status()
        return time.perf_counter() - start

    async def three() -> list[float]:
        async with httpx.AsyncClient(timeout=10) as client:
            await timed(client)  # warm
            return sorted(await asyncio.gather(*(timed(client) for _ in range(3))))

    latencies = asyncio.run(three())
    assert latencies[2] >= 0.45 and latencies[2] - latencies[0] >= 0.25  # one slot: the third waited for two


@pytest.mark.timing
def test_an_open_loop_over_capacity_stops_and_says_so(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(CAPPED)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--rate", "30", "--users", "4",
        "--duration", "30s", "--output-tokens", "20",
    )  # fmt: skip
    run = results(out)
    stop = run["over_saturated"]
    assert run["stop_reason"] == "over_saturated" and stop["offered_rps"] == 30.0
    assert run["elapsed_s"] < 15  # stopped early, not after the 30 s asked
    assert done.returncode == 1 and "could not keep up with the 30 req/s offered" in done.stdout
    assert run["rps"] < 15  # what it served: its capacity, about 10 a second
    assert run["unfinished"] > 20 and "were still waiting for their answers" in " ".join(done.stdout.split())


@pytest.mark.timing
def test_the_rate_sweep_finds_the_capacity_and_offers_shares_of_it(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(CAPPED)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--shape", "rate-sweep", "--users", "6",
        "--duration", "18s", "--output-tokens", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    run = results(out)
    found = run["saturation"]
    assert 6 <= found["probe_rps"] <= 12  # two slots of ~200 ms answers: about 10 a second
    offered = [level["offered_rps"] for level in found["levels"]]
    assert offered == pytest.approx([found["probe_rps"] * i / RATE_LEVELS for i in range(1, 6)])
    ran = [level for level in found["levels"] if level["ran"]]
    assert ran[0]["kept_up"] and ran[0]["p50_ttft_ms"] < 200  # a fifth of capacity: no queue
    assert found["sustained_rps"] is not None
    probe = run["phases"][0]
    assert probe["p50_ttft_ms"] > 2 * ran[0]["p50_ttft_ms"]  # six closed-loop users queue for two slots
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == run["requests"] + sum(run["window"]["excluded"].values())
    assert "rate sweep (probe:" in done.stdout and "highest rate sustained" in " ".join(done.stdout.split())
