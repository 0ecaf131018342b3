"""Per-request records, their aggregate, and merging aggregates the way the master merges workers'."""

from __future__ import annotations

import random
from dataclasses import asdict

import orjson
import pytest

from harness.load.metrics import LoadMetrics, RequestRecord


def record(
    rng: random.Random, t0: float, scenario: str = "chat-stream", error: str | None = None
) -> RequestRecord:
    ttft = rng.uniform(50, 300)
    gaps = [rng.uniform(5, 30) for _ in range(rng.randint(1, 20))]
    return RequestRecord(
        scenario=scenario,
        sent=t0 + rng.uniform(0, 9),
        latency_ms=ttft + sum(gaps),
        error=error,
        detail=f"{error} detail {rng.randint(0, 1)}" if error else "",
        first_event_ms=ttft - 1,
        ttft_ms=ttft,
        itl_ms=gaps,
        prompt_tokens=rng.randint(10, 500),
        completion_tokens=len(gaps) + 1,
        token_source="usage",
    )


def test_tpot_follows_the_definition() -> None:
    rec = RequestRecord("s", 0.0, latency_ms=1100.0, ttft_ms=100.0, completion_tokens=11)
    assert rec.tpot_ms == pytest.approx(100.0)  # (1100 - 100) / (11 - 1)
    assert RequestRecord("s", 0.0, 50.0, ttft_ms=10.0, completion_tokens=1).tpot_ms is None
    assert RequestRecord("s", 0.0, 50.0, completion_tokens=5).tpot_ms is None


def test_aggregate_counts_errors_by_kind_and_keeps_failures_out_of_timings() -> None:
    rng = random.Random(1)
    metrics = LoadMetrics(t0=100.0)
    good = [record(rng, 100.0) for _ in range(50)]
    bad = [record(rng, 100.0, error=kind) for kind in ("http_503", "http_503", "broken_stream", "timeout")]
    for rec in good + bad:
        metrics.record(rec)
    total = metrics.total()
    assert (total.requests, total.errors) == (54, 4)
    assert total.hist["latency"].count == 50
    assert total.hist["itl"].count == sum(len(r.itl_ms) for r in good)
    assert total.hist["completion_tokens"].total == sum(r.completion_tokens for r in good)
    assert dict(metrics.errors) == {"http_503": 2, "broken_stream": 1, "timeout": 1}
    assert 1 <= len(metrics.error_samples["http_503"]) <= 2
    assert sum(row.requests for row in metrics.series.values()) == 54
    assert sum(row.errors for row in metrics.series.values()) == 4


def test_merging_worker_reports_equals_one_process_seeing_everything() -> None:
    rng = random.Random(2)
    records = [
        record(rng, 0.0, scenario=rng.choice(["a", "b"]), error=rng.choice([None] * 9 + ["timeout"]))
        for _ in range(300)
    ]
    for rec in records:  # some met the goodput objectives, some fell outside the measured window
        rec.good = not rec.error and rng.random() < 0.6
        rec.excluded = rng.choice([None] * 8 + ["warmup", "cooldown"])
    whole = LoadMetrics(t0=0.0, phased=True)
    for rec in records:
        whole.record(rec)
    whole.record_not_sent(3.5)
    master = LoadMetrics(t0=0.0, phased=True)
    workers = [LoadMetrics(t0=0.0, phased=True) for _ in range(3)]
    for i, rec in enumerate(records):
        workers[i % 3].record(rec)
        if i % 50 == 0:  # reports go out while the run goes on
            for worker in workers:
                master.merge(LoadMetrics.from_dict(orjson.loads(orjson.dumps(worker.drain()))))
    workers[0].record_not_sent(3.5)
    for worker in workers:
        master.merge(LoadMetrics.from_dict(orjson.loads(orjson.dumps(worker.drain()))))
    assert master.not_sent == whole.not_sent == 1
    assert master.series.keys() == whole.series.keys()
    for second, row in whole.series.items():
        assert asdict(master.series[second]) == pytest.approx(asdict(row))
    assert dict(master.errors) == dict(whole.errors)
    assert dict(master.excluded) == dict(whole.excluded) and sum(whole.excluded.values()) > 20
    assert (master.first_sent, master.last_end) == (whole.first_sent, whole.last_end)
    for name in ("a", "b"):
        mine, theirs = master.scenarios[name], whole.scenarios[name]
        assert (mine.requests, mine.errors) == (theirs.requests, theirs.errors)
        assert (mine.good, mine.good_tokens) == (theirs.good, theirs.good_tokens) and theirs.good > 0
        for metric, hist in theirs.hist.items():
            assert mine.hist[metric].summary() == pytest.approx(hist.summary()), metric
    assert master.second_hists.keys() == whole.second_hists.keys()
    assert whole.total().requests + sum(whole.excluded.values()) == len(records)  # left out, not lost
    drained = workers[1].drain()
    assert drained["scenarios"] == {} and drained["not_sent"] == 0  # a drain empties the worker
    assert drained["excluded"] == {} and drained["first_sent"] is None
