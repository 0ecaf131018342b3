"""load.json: totals, phases and the sweep's knee, SLO verdicts, and no secret in the host."""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import pytest

from harness.load.metrics import LoadMetrics, RequestRecord
from harness.load.options import LOAD_OPTIONS, settings_from
from harness.load.results import build_results, slo_values
from harness.load.sweep import curve, knee
from harness.wire.redact import safe_url

# The plugin's options as Locust parses them (every one at its default), then this test's values.
OPTIONS = dict(
    **{o.name: ("" if o.default is None else o.default) for o in LOAD_OPTIONS if o.locust},
    servecheck_run_time=0,
)
OPTIONS.update(
    api="openai",
    model="mock-chat",
    embedding_model="mock-embed",
    token_env="",
    input_tokens="64",
    output_tokens="uniform:8,16",
    prompts="",
    batch_size=4,
    arrival_rate=0.0,
    arrivals="poisson",
    shape="sweep",
    validate_sample=0.0,
    seed=0,
    timeout=30.0,
    max_requests=1000,
    max_error_rate=0.05,
    slo="",
    num_users=4,
    spawn_rate=4.0,
    run_time=9,
    master=False,
    expect_workers=1,
)


class Dummy:
    family = "chat"


def environment(**overrides: object) -> SimpleNamespace:
    options = argparse.Namespace(**{**OPTIONS, **overrides})
    return SimpleNamespace(
        parsed_options=options,
        host="http://user:pw@127.0.0.1:9/v1",
        user_classes=[Dummy],
        shape_class=object(),
    )


def sweep_metrics() -> LoadMetrics:
    """A sweep of 1, 2, 4 users, 3 s a level: 10, 19, 20 req/s at 100, 105, 200 ms."""
    metrics = LoadMetrics(t0=0.0, phased=True)
    for level, (rps, latency) in enumerate([(10, 100.0), (19, 105.0), (20, 200.0)]):
        for second in range(level * 3, level * 3 + 3):
            for i in range(rps):
                sent = second + i / rps - latency / 1000 + 1e-6
                metrics.record(
                    RequestRecord("chat-stream", sent, latency, ttft_ms=latency / 4, completion_tokens=8)
                )
    return metrics


def sweep_results(elapsed_s: float, stop_reason: str, **options: str) -> dict:
    env = environment(**options)
    settings = settings_from(env.parsed_options)
    return build_results(
        env, settings, sweep_metrics(), {}, started_wall=0.0, elapsed_s=elapsed_s, stop_reason=stop_reason
    )


def test_sweep_phases_and_knee() -> None:
    results = sweep_results(slo="p50_latency_ms<=150,error_rate<=0", elapsed_s=9.0, stop_reason="completed")
    rows = results["phases"]
    assert [row["users"] for row in rows] == [1, 2, 4]
    assert [row["measured_s"] for row in rows] == [2, 2, 2]  # each level's first second is the change
    assert [row["rps"] for row in rows] == [10, 19, 20]
    assert [round(row["p50_latency_ms"]) for row in rows] == [100, 105, 200]
    assert results["knee"] == 1  # 19 req/s at 105 ms beats 20 req/s at 200 ms
    assert results["requests"] == 147 and results["rps"] == pytest.approx(147 / 9)
    assert results["config"]["host"] == "http://127.0.0.1:9/v1"
    assert [v["passed"] for v in results["slo"]] == [True, True]
    assert results["slo_passed"] and not results["partial"]
    assert len(results["series"]) == 9 and results["series"][4]["requests"] == 19


def test_failed_slo_and_partial_run() -> None:
    results = sweep_results(shape="fixed", slo="p95_ttft_ms<=10", elapsed_s=4.0, stop_reason="interrupted")
    assert results["partial"] and results["stop_reason"] == "interrupted"
    assert not results["slo_passed"] and results["slo"][0]["observed"] == pytest.approx(50, rel=0.01)
    assert "phases" not in results


def test_slo_values_cover_every_metric_name() -> None:
    results = sweep_results(shape="fixed", elapsed_s=9.0, stop_reason="completed")
    values = slo_values(results)
    assert values["p50_ttft_ms"] == pytest.approx(
        105 / 4, rel=0.01
    )  # 30 at 25 ms, 57 at 26.25 ms, 60 at 50 ms
    assert values["p99_itl_ms"] is None  # no inter-token gaps were recorded
    assert values["error_rate"] == 0 and values["output_tokens_per_s"] == pytest.approx(147 * 8 / 9)


def test_knee_and_curve_edge_cases() -> None:
    assert knee([]) is None
    assert knee([{"users": 1, "rps": 0, "p50_latency_ms": None}]) is None
    rows = [
        {"users": 1, "rps": 5.0, "p50_latency_ms": 100.0},
        {"users": 2, "rps": 9.0, "p50_latency_ms": 110.0},
    ]
    lines = curve(rows, knee(rows))
    assert len(lines) == 3 and lines[2].endswith("<- knee")


def test_safe_url_drops_credentials_only() -> None:
    assert safe_url("https://me:secret@host.example:8443/v1?x=1") == "https://host.example:8443/v1?x=1"
    assert safe_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
