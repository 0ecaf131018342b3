"""`--fail-on`: which differences between two runs fail the build.

Syntax: comma-separated conditions, each `breaking` or `[STAT_]METRIC:+N%` / `:-N%`, e.g.
`breaking,p95_latency:+10%,throughput:-10%`. STAT is p50, p95, p99 or mean (default p50 for latencies,
the run's value for rates); the sign says which way the change must go. For `error_rate` N is in
percentage points (`error_rate:+1%`: one point more errors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.diff.load import LATENCIES, METRICS

ALIASES = {"tokens_per_s": "output_tokens_per_s", "rps": "throughput"}
CONDITION = re.compile(r"^(?:(p50|p95|p99|mean)_)?([a-z_]+):([+-])(\d+(?:\.\d+)?)%$")


class FailOnError(ValueError):
    """A --fail-on string that does not parse; the message is one line for the user."""


@dataclass(frozen=True)
class Condition:
    text: str
    metric: str = ""  # empty for `breaking`
    stat: str = "mean"
    limit: float = 0.0  # signed fraction: +0.10 means "rose by 10% or more"


def parse_fail_on(text: str) -> list[Condition]:
    conditions = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if part == "breaking":
            conditions.append(Condition(part))
            continue
        match = CONDITION.match(part)
        if not match:
            raise FailOnError(f"--fail-on: cannot read {part!r} (expected breaking or e.g. p95_latency:+10%)")
        stat, metric, sign, amount = match.groups()
        metric = ALIASES.get(metric, metric)
        if metric not in METRICS:
            raise FailOnError(
                f"--fail-on: unknown metric {metric!r} in {part!r} (one of {', '.join(METRICS)})"
            )
        if stat and metric not in LATENCIES:
            raise FailOnError(f"--fail-on: {metric} has one value per run, no {stat} ({part!r})")
        limit = float(amount) / 100 * (1 if sign == "+" else -1)
        conditions.append(Condition(part, metric, stat or ("p50" if metric in LATENCIES else "mean"), limit))
    if not conditions:
        raise FailOnError("--fail-on: no condition given")
    return conditions


def triggered(conditions: list[Condition], diff: dict[str, Any]) -> list[str]:
    """The conditions that hold, each with what made it hold; a change the data can't support
    (verdict "not significant") never fails the build."""
    hits = []
    contract = diff.get("contract") or {}
    load = {row["metric"]: row for row in diff.get("load") or []}
    for cond in conditions:
        if not cond.metric:
            failing = contract.get("checks", {}).get("newly_failing", [])
            broken = [c for c in contract.get("shapes", []) if c["breaking"]]
            if failing or broken:
                hits.append(
                    f"breaking: {len(failing)} check(s) newly failing, {len(broken)} breaking shape change(s)"
                )
            continue
        row = load.get(cond.metric)
        if row is None or row["verdict"] == "not significant":
            continue
        change = row["change"].get(cond.stat)
        if change is not None and (change >= cond.limit if cond.limit >= 0 else change <= cond.limit):
            hits.append(f"{cond.text}: {cond.stat} {cond.metric} changed by {change:+.1%}")
    return hits
