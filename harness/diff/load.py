"""What changed in performance between two load runs, each change guarded against noise.

Latency-like metrics (latency, TTFT, TPOT) are compared with a Mann-Whitney U test on the
per-request samples (samples.jsonl) when both runs hold at least MIN_SAMPLES of them; throughput
on the per-second series the same way; the error rate with a two-proportion test. Without enough
samples for the test, the change in percentiles counts when both runs measured MIN_SAMPLES values.
Any change below THRESHOLD is "unchanged"; a larger one the data cannot support is "not significant".
"""

from __future__ import annotations

from typing import Any

from harness.diff.stats import mann_whitney_u, two_proportions
from harness.render.figures import cdf_curve
from harness.runs.metrics import DISTRIBUTIONS, RATES, TIMED

MIN_SAMPLES = 20
ALPHA = 0.05
THRESHOLD = 0.05  # relative change below which a significant shift is still "unchanged"
STATS = ("p50", "p95", "p99", "mean")
# Compared: the latencies an objective may name (ITL has no per-request sample: percentile deltas),
# and the rates with a per-second series.
LATENCIES = {m.name: m for m in TIMED if m.slo}
PER_SECOND = {m.name: m for m in RATES.values() if m.series}
# Settings two load runs must share for their figures to compare (load.json's config).
SETTINGS = (
    "user_classes",
    "users",
    "shape",
    "open_loop",
    "model",
    "embedding_model",
    "input_tokens",
    "output_tokens",
    "prompts",
    "dataset",
    "turns",
    "shared_prefix",
    "tokenizer",
    "api",
    "batch_size",
)


def settings_notes(base: dict, new: dict) -> list[str]:
    """A warning per setting the two runs differ in: their figures then measure different things."""
    old, now = base.get("config") or {}, new.get("config") or {}
    return [
        f"the runs differ in {key}: {old.get(key)!r} -> {now.get(key)!r} (figures may not compare)"
        for key in SETTINGS
        if old.get(key) != now.get(key)
    ]


METRICS = (*LATENCIES, *RATES)


def _relative(base: float | None, new: float | None) -> float | None:
    if base is None or new is None or base == 0:
        return None
    return (new - base) / base


def _verdict(enough: bool, significant: bool, change: float | None, lower_is_better: bool) -> str:
    """ "unchanged": a change below THRESHOLD; "not significant": a larger one the data can't support."""
    if not enough or change is None:
        return "not significant"
    if abs(change) < THRESHOLD:
        return "unchanged"
    if not significant:
        return "not significant"
    return "regression" if (change > 0) == lower_is_better else "improvement"


def _guard(
    base_values: list[float], new_values: list[float], counts: tuple[int, int], fallback: str
) -> tuple[str, float | None, bool, bool]:
    """(test used, p-value, enough data, significant)."""
    if len(base_values) >= MIN_SAMPLES and len(new_values) >= MIN_SAMPLES:
        _, p = mann_whitney_u(base_values, new_values)
        return "mann-whitney", p, True, p < ALPHA
    enough = min(counts) >= MIN_SAMPLES
    return fallback, None, enough, enough


def _latency(name: str, base: dict, new: dict, samples: tuple[list, list]) -> dict[str, Any] | None:
    key = LATENCIES[name].key
    b, n = base["metrics"].get(key), new["metrics"].get(key)
    if not b or not n or not b.get("count") or not n.get("count"):
        return None
    values = [[s[key] for s in run if s.get("error") is None and s.get(key) is not None] for run in samples]
    change = {stat: _relative(b.get(stat), n.get(stat)) for stat in STATS}
    test, p, enough, significant = _guard(values[0], values[1], (b["count"], n["count"]), "percentile delta")
    return {
        "metric": name,
        "unit": "ms",
        "base": {stat: b.get(stat) for stat in (*STATS, "count")},
        "new": {stat: n.get(stat) for stat in (*STATS, "count")},
        "change": change,
        "test": test,
        "p_value": p,
        "verdict": _verdict(enough, significant, change["p50"], lower_is_better=True),
    }


def _per_second(run: dict, field: str) -> list[float]:
    series = run.get("series") or []
    return [float(point.get(field, 0)) for point in series[:-1]]  # the last second is partial


def _rate(name: str, base: dict, new: dict) -> dict[str, Any] | None:
    key, field = PER_SECOND[name].key, PER_SECOND[name].series or ""
    if base.get(key) is None or new.get(key) is None:  # goodput: measured only with --goodput
        return None
    change = _relative(base.get(key), new.get(key))
    test, p, enough, significant = _guard(
        _per_second(base, field), _per_second(new, field), (base["requests"], new["requests"]), "rate delta"
    )
    return {
        "metric": name,
        "unit": "/s",
        "base": {"mean": base.get(key), "count": base["requests"]},
        "new": {"mean": new.get(key), "count": new["requests"]},
        "change": {"mean": change},
        "test": test,
        "p_value": p,
        "verdict": _verdict(enough, significant, change, lower_is_better=False),
    }


def _error_rate(base: dict, new: dict) -> dict[str, Any]:
    # null: a run that sent no request has no rate; it compares as none failed
    b, n = base.get("error_rate") or 0.0, new.get("error_rate") or 0.0
    enough = min(base["requests"], new["requests"]) >= MIN_SAMPLES
    p = two_proportions(base["errors"], base["requests"], new["errors"], new["requests"]) if enough else None
    change = n - b  # absolute: a rate's relative change from 0 means nothing
    if not change:
        verdict = "unchanged"
    elif p is None or p >= ALPHA:
        verdict = "not significant"
    else:
        verdict = "regression" if change > 0 else "improvement"
    return {
        "metric": "error_rate",
        "unit": "",
        "base": {"mean": b, "count": base["requests"]},
        "new": {"mean": n, "count": new["requests"]},
        "change": {"mean": change},
        "test": "two proportions",
        "p_value": p,
        "verdict": verdict,
    }


def cdf_pairs(base_samples: list[dict], new_samples: list[dict]) -> dict[str, dict[str, Any]]:
    """Both runs' CDF of each per-request metric both sampled, for the HTML diff's overlaid plots."""
    pairs = {}
    for metric in DISTRIBUTIONS.values():
        if metric.sampled:
            base, new = cdf_curve(base_samples, metric.key), cdf_curve(new_samples, metric.key)
            if base and new:
                pairs[metric.key] = {"base": base, "new": new}
    return pairs


def load_diff(
    base: dict, new: dict, base_samples: list[dict], new_samples: list[dict]
) -> list[dict[str, Any]]:
    """One entry per metric both runs measured: the stats, their changes, the test and the verdict."""
    rows = [_latency(name, base, new, (base_samples, new_samples)) for name in LATENCIES]
    rows += [_rate(name, base, new) for name in PER_SECOND]
    rows.append(_error_rate(base, new))
    return [row for row in rows if row is not None]
