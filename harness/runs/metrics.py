"""The metrics registry: every figure a load run reports, defined once.

Load measurement, the console, load.json, SLO parsing, the diff, the Markdown and HTML reports and the
plots read it. Adding a load metric is one entry here plus the place it is measured
(harness/load/measure.py for a request's timings, harness/load/metrics.py for its aggregate).

Two kinds: distributions, kept as a mergeable histogram per scenario and summarised in load.json's
`metrics` (count, mean, min, max and PERCENTILES), and rates, one number per run (and per second
in the series when `series` names its field there).
"""

from __future__ import annotations

from dataclasses import dataclass

PERCENTILES = (50, 90, 95, 99)
SUMMARY = ("count", "mean", "p50", "p90", "p95", "p99", "max")  # what tables show of a distribution


@dataclass(frozen=True)
class Metric:
    name: str  # "ttft": how objectives (p95_ttft_ms), diffs and histograms name it
    key: str  # its key in load.json (and, for distributions, in samples.jsonl): "ttft_ms"
    label: str  # for people: "TTFT (ms)"
    unit: str  # "ms", "tokens", "/s" or "" (a ratio)
    lower_is_better: bool | None  # None: neither (token counts describe the load, not the server)
    slo: bool  # an objective (--slo) may name it
    sampled: bool = False  # every request's value is in samples.jsonl (plots and the diff's tests use it)
    series: str | None = None  # a rate's field in the per-second series


DISTRIBUTIONS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("latency", "latency_ms", "latency (ms)", "ms", True, slo=True, sampled=True),
        Metric("ttft", "ttft_ms", "TTFT (ms)", "ms", True, slo=True, sampled=True),
        Metric("first_event", "first_event_ms", "first event (ms)", "ms", True, slo=False),
        Metric("itl", "itl_ms", "ITL (ms)", "ms", True, slo=True),
        Metric("tpot", "tpot_ms", "TPOT (ms)", "ms", True, slo=True, sampled=True),
        Metric("prompt_tokens", "prompt_tokens", "prompt tokens", "tokens", None, slo=False),
        Metric("completion_tokens", "completion_tokens", "completion tokens", "tokens", None, slo=False),
    )
}
RATES: dict[str, Metric] = {
    m.name: m
    for m in (
        # Throughput counts what succeeded: failures are not served load.
        Metric("throughput", "rps", "throughput (req/s)", "/s", False, slo=True, series="successful"),
        Metric(
            "output_tokens_per_s",
            "output_tokens_per_s",
            "output tokens/s",
            "/s",
            False,
            slo=True,
            series="output_tokens",
        ),
        Metric("error_rate", "error_rate", "error rate", "", True, slo=True),
        # Goodput: what succeeded and met every per-request objective (--goodput); null without them.
        Metric("goodput", "goodput_rps", "goodput (req/s)", "/s", False, slo=True, series="good"),
        Metric(
            "goodput_tokens_per_s",
            "goodput_tokens_per_s",
            "goodput output tokens/s",
            "/s",
            False,
            slo=True,
            series="good_tokens",
        ),
    )
}
TIMED = tuple(m for m in DISTRIBUTIONS.values() if m.unit == "ms")
SLO_STATS = (*(f"p{q}" for q in PERCENTILES), "mean")


def slo_names() -> dict[str, tuple[Metric, str | None]]:
    """Every name an objective may use -> (metric, statistic): "p95_ttft_ms", "rps", "error_rate"."""
    names: dict[str, tuple[Metric, str | None]] = {
        f"{stat}_{m.key}": (m, stat) for m in DISTRIBUTIONS.values() if m.slo for stat in SLO_STATS
    }
    names.update({m.key: (m, None) for m in RATES.values() if m.slo})
    return names
