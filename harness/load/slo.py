"""Service-level objectives: parse "p95_ttft_ms<=500,error_rate<=0.01" and judge a run against them.

An objective whose metric has no data (a TTFT objective on a run without streams) fails: a check that
cannot be made is not a pass.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.runs.metrics import DISTRIBUTIONS, RATES, SLO_STATS, slo_names

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_NAMES_HELP = (
    "{"
    + ",".join(SLO_STATS)
    + "}_{"
    + ",".join(m.key for m in DISTRIBUTIONS.values() if m.slo)
    + "}, "
    + ", ".join(m.key for m in RATES.values() if m.slo)
)
_ITEM = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*$")


class SLOError(ValueError):
    """An objective that does not parse or names an unknown metric."""


@dataclass(frozen=True)
class Objective:
    metric: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.threshold:g}"


@dataclass(frozen=True)
class Verdict:
    objective: Objective
    observed: float | None
    passed: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "objective": str(self.objective),
            "metric": self.objective.metric,
            "op": self.objective.op,
            "threshold": self.objective.threshold,
            "observed": self.observed,
            "passed": self.passed,
        }


def parse_slos(text: str) -> list[Objective]:
    """Comma-separated objectives; raises SLOError with a one-line reason."""
    objectives = []
    for item in (part for part in text.split(",") if part.strip()):
        match = _ITEM.match(item)
        if not match:
            raise SLOError(f"cannot parse SLO {item.strip()!r}: expected METRIC<=NUMBER (or <, >=, >)")
        metric, op, number = match.groups()
        if metric not in slo_names():
            raise SLOError(f"unknown SLO metric {metric!r}; use {_NAMES_HELP}")
        objectives.append(Objective(metric, op, float(number)))
    return objectives


def judge(objectives: list[Objective], values: dict[str, float | None]) -> list[Verdict]:
    verdicts = []
    for objective in objectives:
        observed = values.get(objective.metric)
        passed = observed is not None and _OPS[objective.op](observed, objective.threshold)
        verdicts.append(Verdict(objective, observed, passed))
    return verdicts
