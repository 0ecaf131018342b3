"""load.json: a run's configuration, every metric's percentiles, a per-second series, errors by kind,
phases (step/spike/sweep, with the sweep's knee), SLO verdicts, the error budget and the run's verdict.
Built from merged LoadMetrics. Throughput (rps, per-second `successful`) counts successful requests.

Percentiles come from our mergeable histogram (harness/load/histogram.py: within 0.5% of an observed
value), not from Locust's rounded buckets. Rates divide by the run's elapsed time, ramp-up included.
"""

from __future__ import annotations

from typing import Any

from harness import __version__
from harness.load.generator import summary as generator_summary
from harness.load.histogram import ALPHA, Histogram
from harness.load.metrics import TOKEN_DIFFERENCE, LoadMetrics, ScenarioMetrics, Second
from harness.load.options import Settings
from harness.load.saturation import OVER_SATURATED
from harness.load.saturation import summary as saturation_summary
from harness.load.shapes import PHASED_SHAPES, RATE_SWEEP, Plan, plan_from_options, steady_seconds
from harness.load.slo import judge, parse_slos
from harness.load.sweep import knee
from harness.load.workload import is_sharegpt
from harness.runs.metrics import DISTRIBUTIONS, slo_names
from harness.runs.verdict import judge_load
from harness.tokens import load_tokenizer
from harness.wire.redact import safe_url

_RECENT_S = 5  # seconds the live rates average over


def scenario_block(metrics: ScenarioMetrics, elapsed_s: float, goodput: bool = False) -> dict[str, Any]:
    """Totals and every metric's summary for one scenario (or all of them); rates over `elapsed_s`.
    The goodput figures are null unless objectives were set (`goodput`)."""
    out_tokens = metrics.hist["completion_tokens"].total  # successful requests only
    span = max(elapsed_s, 1e-9)
    successful = metrics.requests - metrics.errors
    block: dict[str, Any] = {
        "requests": metrics.requests,
        "successful": successful,
        "errors": metrics.errors,
        "error_rate": metrics.errors / metrics.requests if metrics.requests else None,
        "rps": successful / span,  # throughput counts what succeeded: failures are not served load
        "attempted_rps": metrics.requests / span,
        "output_tokens": int(out_tokens),
        "output_tokens_per_s": out_tokens / span,
        "validated": metrics.validated,
        "token_source": dict(metrics.token_sources),
        "good_requests": metrics.good if goodput else None,
        "goodput_rps": metrics.good / span if goodput else None,
        "goodput_tokens_per_s": metrics.good_tokens / span if goodput else None,
    }
    block["metrics"] = {m.key: metrics.hist[m.name].summary() for m in DISTRIBUTIONS.values()}
    return block


def slo_values(block: dict[str, Any]) -> dict[str, float | None]:
    """The flat metric names objectives use ("p95_ttft_ms", "error_rate", ...) from a scenario block."""
    return {
        name: block["metrics"][metric.key].get(stat) if stat else block[metric.key]
        for name, (metric, stat) in slo_names().items()
    }


def series(metrics: LoadMetrics, users_by_second: dict[int, int]) -> list[dict[str, Any]]:
    last = max([*metrics.series, *users_by_second], default=-1)
    rows = []
    for second in range(last + 1):
        row = metrics.series.get(second) or Second()
        ok = row.requests - row.errors
        rows.append(
            {
                "t": second,
                "users": users_by_second.get(second),
                "requests": int(row.requests),
                "successful": int(ok),
                "errors": int(row.errors),
                "output_tokens": int(row.output_tokens),
                "good": int(row.good),
                "good_tokens": int(row.good_tokens),
                "mean_latency_ms": row.latency_ms_sum / ok if ok else None,
                "mean_ttft_ms": row.ttft_ms_sum / row.ttft_count if row.ttft_count else None,
                "not_sent": int(row.not_sent),
                "sent": int(row.sent),
                "send_lag_ms_sum": row.send_lag_ms_sum,
            }
        )
    return rows


def phases(metrics: LoadMetrics, plan: Plan) -> list[dict[str, Any]]:
    """One row per level of the plan, over the whole seconds inside it (its first second, the level
    change, left out when the level lasts three seconds or more)."""
    rows = []
    for phase in plan.phases:
        seconds = steady_seconds(phase)
        latency, ttft = Histogram(), Histogram()
        requests = errors = tokens = sent = 0
        for second in seconds:
            row = metrics.series.get(second)
            if row:
                requests += row.requests
                errors += row.errors
                tokens += row.output_tokens
                sent += row.sent
            hists = metrics.second_hists.get(second)
            if hists:
                latency.merge(hists["latency"])
                ttft.merge(hists["ttft"])
        span = max(len(seconds), 1)
        rows.append(
            {
                "users": phase.users,
                "start_s": phase.start,
                "end_s": phase.end,
                "measured_s": len(seconds),
                "requests": int(requests),
                "sent": int(sent),  # open loop: the arrivals that left in these seconds
                "rps": (requests - errors) / span,
                "output_tokens_per_s": tokens / span,
                "error_rate": errors / requests if requests else None,
                "p50_latency_ms": latency.quantile(0.5),
                "p95_latency_ms": latency.quantile(0.95),
                "p50_ttft_ms": ttft.quantile(0.5),
                "p95_ttft_ms": ttft.quantile(0.95),
            }
        )
    return rows


def build_results(
    environment: Any,
    settings: Settings,
    metrics: LoadMetrics,
    users_by_second: dict[int, int],
    *,
    started_wall: float,
    elapsed_s: float,
    stop_reason: str,
    signal: str = "",
    target: dict[str, Any] | None = None,
    sweep: dict[str, Any] | None = None,
    server: dict[str, Any] | None = None,
    unreported: int = 0,
) -> dict[str, Any]:
    """load.json, written once by the plugin: `signal` and `target` are what `servecheck load` told it
    (the signal it stopped the run for, the embedded mock it started); `sweep` what a rate sweep's
    master found (its probe's throughput, its levels, the over-saturation that stopped it); `server` what
    the target's own metrics said (harness/load/server_metrics.py); `unreported` how many workers'
    final reports never came (their last seconds are missing)."""
    options = environment.parsed_options
    plan = plan_from_options(options) if environment.shape_class else None
    users = options.num_users or 1
    windowed = bool(settings.warmup or settings.cooldown_s)
    span = (metrics.measured_span() or elapsed_s) if windowed else elapsed_s  # what the rates divide by
    goodput = bool(settings.goodput)
    overall = scenario_block(metrics.total(), span, goodput)
    results: dict[str, Any] = {
        "tool": f"servecheck {__version__}",
        "partial": stop_reason not in ("completed", "max_requests", OVER_SATURATED),
        "signal": signal,
        "target": target or {"embedded_mock": False, "mock_profile": None},
        "stop_reason": stop_reason,
        "started_at": started_wall,
        "elapsed_s": elapsed_s,
        "config": {
            "host": safe_url(environment.host or ""),
            "api": settings.api,
            "model": settings.model,
            "embedding_model": settings.embedding_model,
            "token_env": settings.token_env,
            "user_classes": sorted(cls.__name__ for cls in environment.user_classes),
            "users": users,
            "spawn_rate": options.spawn_rate,
            "duration_s": options.run_time,
            "shape": plan.shape if plan else "fixed",
            "open_loop": {
                "rate": settings.arrival_rate * users,
                "arrival_rate_per_user": settings.arrival_rate,
                "arrivals": settings.arrivals,
                "burstiness": settings.burstiness,
            }
            if settings.open_loop
            else None,
            "input_tokens": str(settings.input_tokens),
            "output_tokens": str(settings.output_tokens),
            "prompts": settings.prompts or None,
            "dataset": dataset_kind(settings),
            "tokenizer": load_tokenizer(settings.tokenizer).name,
            "turns": settings.turns,
            "shared_prefix": {"tokens": settings.shared_prefix, "groups": settings.prefix_groups}
            if settings.shared_prefix
            else None,
            "batch_size": settings.batch_size,
            "validate_sample": settings.validate_sample,
            "seed": settings.seed,
            "timeout_s": settings.timeout,
            "max_requests": settings.max_requests,
            "max_error_rate": settings.max_error_rate,
            "goodput": settings.goodput or None,
            "warmup": str(settings.warmup) if settings.warmup else None,
            "cooldown_s": settings.cooldown_s,
            "requests": settings.requests or None,
            "server_metrics": settings.server_metrics,
            "workers": options.expect_workers if options.master else 0,
            "slo": options.slo or None,
        },
        "histogram": {"kind": "log buckets (DDSketch layout), mergeable", "relative_error": ALPHA},
        **overall,
        "window": {
            "measured_s": span,
            "excluded": dict(metrics.excluded),  # answers left out, by why: warmup, cooldown
        },
        "scenarios": {
            name: scenario_block(m, span, goodput) for name, m in sorted(metrics.scenarios.items())
        },
        "errors_by_kind": dict(metrics.errors),
        "workers_unreported": unreported,
        "unfinished": metrics.unfinished(),  # in flight when the run ended: never answered, never measured
        "error_samples": metrics.error_samples,
        "open_loop": {"not_sent": metrics.not_sent, "send_lag_ms": metrics.send_lag.summary()}
        if settings.open_loop
        else None,
        "series": series(metrics, users_by_second),
    }
    open_loop = settings.open_loop or settings.shape == RATE_SWEEP
    results["generator"] = generator_summary(metrics, results["series"], open_loop)
    if plan and plan.shape in PHASED_SHAPES:
        rows = phases(metrics, plan)
        results["phases"] = rows
        if plan.shape == "sweep":
            results["knee"] = knee(rows)
        if plan.shape == RATE_SWEEP:
            results["saturation"] = saturation_summary(rows, sweep or {})
    results["over_saturated"] = (sweep or {}).get("over_saturated")  # what stopped an open loop early
    results["token_counts"] = token_comparison(metrics.token_check, results["config"]["tokenizer"])
    results["server_metrics"] = server or {"available": False, "reason": "--server-metrics off"}
    verdicts = judge(parse_slos(options.slo), slo_values(overall)) if options.slo else []
    results["slo"] = [v.to_dict() for v in verdicts]
    results["slo_passed"] = all(v.passed for v in verdicts) if verdicts else None  # None: no SLOs set
    judge_load(results, settings.max_error_rate)
    return results


def dataset_kind(settings: Settings) -> str:
    """What the requests were made of: "sharegpt", "jsonl" (request bodies) or "synthetic"."""
    if not settings.prompts:
        return "synthetic"
    return "sharegpt" if is_sharegpt(settings.prompts) else "jsonl"


def token_comparison(check: list[int], tokenizer: str) -> dict[str, Any]:
    """The server's usage against our tokenizer's count of the same outputs (`tokenizer`, --tokenizer's:
    a model with another tokenizer differs by design; a server that miscounts differs too)."""
    answers, usage, ours, differ = check
    return {
        "tokenizer": tokenizer,
        "answers": answers,
        "usage_tokens": usage,
        "tokenizer_tokens": ours,
        "ratio": usage / ours if ours else None,
        "differing_answers": differ,
        "difference_over": TOKEN_DIFFERENCE,
    }


def live_line(metrics: LoadMetrics, total: ScenarioMetrics, elapsed: float, users: int) -> dict[str, Any]:
    """One progress line: totals so far and the rates of the last few whole seconds."""
    now = int(elapsed)
    recent = [metrics.series.get(s) for s in range(max(0, now - _RECENT_S), now)]
    span = max(len(recent), 1)
    return {
        "t": round(elapsed, 1),
        "users": users,
        "requests": total.requests,
        "errors": total.errors,
        "rps": sum(r.requests - r.errors for r in recent if r) / span,
        "output_tokens_per_s": sum(r.output_tokens for r in recent if r) / span,
        "p50_latency_ms": total.hist["latency"].quantile(0.5),
        "p95_latency_ms": total.hist["latency"].quantile(0.95),
        "p50_ttft_ms": total.hist["ttft"].quantile(0.5),
        "p95_ttft_ms": total.hist["ttft"].quantile(0.95),
        "not_sent": metrics.not_sent,
    }
