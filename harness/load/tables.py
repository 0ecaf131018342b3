"""Our LLM metrics as tables, the way Locust users read its statistics: a row per scenario and an
"Aggregated" row last. Locust's web UI shows them in tabs of their own (harness/load/webui.py) and the
run folder keeps the distributions as servecheck_stats.csv, beside Locust's locust_stats.csv.

Each table is (its key, its title, its columns as (key, title), its rows); the keys are plain lowercase
words, as the web UI's tables read them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from harness.load.metrics import LoadMetrics, ScenarioMetrics
from harness.load.results import scenario_block
from harness.runs.metrics import DISTRIBUTIONS, SUMMARY

AGGREGATED = "Aggregated"  # Locust's name for the row over every scenario


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: list[dict[str, Any]]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, [key for key, _ in self.columns], lineterminator="\n")
        writer.writerow(dict(self.columns))
        writer.writerows(self.rows)
        return out.getvalue().rstrip("\n")


def _scopes(metrics: LoadMetrics) -> list[tuple[str, ScenarioMetrics]]:
    return [*sorted(metrics.scenarios.items()), (AGGREGATED, metrics.total())]


def _round(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


def distributions(metrics: LoadMetrics) -> Table:
    """TTFT, ITL, TPOT, latency and token counts: count and percentiles, by scenario."""
    rows = []
    for name, scenario in _scopes(metrics):
        for metric in DISTRIBUTIONS.values():
            summary = scenario.hist[metric.name].summary()
            if summary["count"]:
                stats = {s: _round(summary[s]) for s in SUMMARY}
                rows.append({"scenario": name, "metric": metric.label, **stats})
    columns = (("scenario", "Scenario"), ("metric", "Metric"), *((s, s) for s in SUMMARY))
    return Table("llm-metrics", "LLM metrics", columns, rows)


def throughput(metrics: LoadMetrics, elapsed_s: float, goodput: bool) -> Table:
    """Requests, successful requests/s, output tokens/s and goodput since the start, by scenario."""
    rows = []
    for name, scenario in _scopes(metrics):
        block = scenario_block(scenario, elapsed_s, goodput)
        rate = block["error_rate"]
        rows.append(
            {
                "scenario": name,
                "requests": block["requests"],
                "errors": block["errors"],
                "errorrate": None if rate is None else f"{rate:.2%}",
                "rps": _round(block["rps"]),
                "tokens": _round(block["output_tokens_per_s"]),
                "goodput": _round(block["goodput_rps"]),
            }
        )
    columns = (
        ("scenario", "Scenario"),
        ("requests", "Requests"),
        ("errors", "Failed"),
        ("errorrate", "Error rate"),
        ("rps", "Successful req/s"),
        ("tokens", "Output tokens/s"),
        ("goodput", "Goodput req/s"),
    )
    return Table("llm-throughput", "LLM throughput", columns, rows)


def errors(metrics: LoadMetrics) -> Table:
    """Failed requests by kind (http_503, timeout, broken_stream, contract, ...), with examples."""
    rows = [
        {"kind": kind, "count": count, "examples": " | ".join(metrics.error_samples.get(kind, []))}
        for kind, count in sorted(metrics.errors.items(), key=lambda item: -item[1])
    ]
    columns = (("kind", "Kind"), ("count", "Count"), ("examples", "Examples"))
    return Table("llm-errors", "LLM errors", columns, rows)


def live_tables(metrics: LoadMetrics, elapsed_s: float, goodput: bool) -> list[Table]:
    return [distributions(metrics), throughput(metrics, elapsed_s, goodput), errors(metrics)]
