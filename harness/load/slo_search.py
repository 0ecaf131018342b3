"""SLO search (`--slo-search rate|users`): the highest request rate, or concurrency, at which the target
still meets every objective of `--slo`, by bisection over trial runs of `--duration` each.

- users: a trial at --users; if it fails, one at 1 user; then halving the interval between the last
  pass and the first failure until they are neighbours (or --search-steps trials are spent).
- rate: a closed-loop probe with --users measures what the target serves; an open-loop trial at that
  rate (while one passes, 1.5 times more: a closed loop can under-measure); then halving between the
  last pass (or 0) and the first failure until the interval is within 5% of its top.

The answer is the highest value that passed, bracketed by the lowest that failed. Its confidence:
for each objective on a per-request percentile (p95_ttft_ms, ...), the trial's samples give a
distribution-free 95% interval of that percentile (order statistics); a verdict whose threshold lies
inside it could have gone the other way, and the answer says so. Pure: `search` takes the trial as a
function, so it is tested without a server.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.load.slo import parse_slos
from harness.runs.metrics import DISTRIBUTIONS

KINDS = ("rate", "users")
DEFAULT_STEPS = 6
RATE_PRECISION = 0.05  # stop when the rate's interval is within this share of its top
GROWTH = 1.5  # a rate search whose probe rate passed tries this much more, until one fails
Z95 = 1.96
SAMPLED = {m.key: m.key for m in DISTRIBUTIONS.values() if m.sampled}  # per-request figures, by load.json key


def quantile_interval(values: list[float], q: float) -> tuple[float, float] | None:
    """A distribution-free ~95% confidence interval of the q-quantile (order statistics, normal
    approximation of the binomial); None with too few values to say."""
    n = len(values)
    if n < 20:
        return None
    ordered = sorted(values)
    spread = Z95 * math.sqrt(n * q * (1 - q))
    low = max(0, math.floor(n * q - spread) - 1)
    high = min(n - 1, math.ceil(n * q + spread))
    return ordered[low], ordered[high]


def firmness(slo: str, results: dict[str, Any], samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per objective: its verdict, and whether the trial's samples make it firm (threshold outside the
    percentile's 95% interval), uncertain (inside it) or unassessed (not a per-request percentile)."""
    out = []
    verdicts = {v["objective"]: v for v in results.get("slo", [])}
    ok = [s for s in samples if not s.get("error") and not s.get("excluded")]
    for objective in parse_slos(slo):
        verdict = verdicts.get(str(objective), {})
        stat, _, key = objective.metric.partition("_")
        interval = None
        if key in SAMPLED and stat.startswith("p") and stat[1:].isdigit():
            values = [s[key] for s in ok if isinstance(s.get(key), int | float)]
            interval = quantile_interval(values, int(stat[1:]) / 100)
        if interval is None:
            state = "unassessed"
        else:
            state = "uncertain" if interval[0] <= objective.threshold <= interval[1] else "firm"
        out.append(
            {
                "objective": str(objective),
                "passed": verdict.get("passed"),
                "observed": verdict.get("observed"),
                "interval": list(interval) if interval else None,
                "confidence": state,
            }
        )
    return out


@dataclass
class Trial:
    value: float  # the rate (req/s) or users tried
    passed: bool
    results: dict[str, Any]
    objectives: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Search:
    kind: str
    trials: list[Trial] = field(default_factory=list)
    probe_rps: float | None = None  # rate: what the closed-loop probe served

    @property
    def best(self) -> Trial | None:
        passed = [t for t in self.trials if t.passed]
        return max(passed, key=lambda t: t.value) if passed else None

    @property
    def first_failure(self) -> Trial | None:
        best = self.best
        failed = [t for t in self.trials if not t.passed and (best is None or t.value > best.value)]
        return min(failed, key=lambda t: t.value) if failed else None

    def to_dict(self) -> dict[str, Any]:
        best, failure = self.best, self.first_failure
        uncertain = [
            o["objective"]
            for trial in (best, failure)
            if trial
            for o in trial.objectives
            if o["confidence"] == "uncertain"
        ]
        return {
            "kind": self.kind,
            "answer": best.value if best else None,
            "first_failure": failure.value if failure else None,
            "probe_rps": self.probe_rps,
            "confidence": "uncertain" if uncertain else "firm",
            "uncertain_objectives": sorted(set(uncertain)),
            "trials": [
                {
                    "value": t.value,
                    "passed": t.passed,
                    "requests": t.results.get("requests"),
                    "objectives": t.objectives,
                }
                for t in self.trials
            ],
        }


def search(
    kind: str,
    users: int,
    steps: int,
    trial: Callable[[float], Trial],
    probe: Callable[[], float] | None = None,
    found: Search | None = None,
) -> Search:
    """Bisect: `trial(value)` runs one trial; `probe()` (rate) measures the closed-loop throughput.
    The trials go into `found` as they end, so a search stopped by an exception keeps them."""
    found = found or Search(kind)
    if kind == "users":
        top = trial(users)
        found.trials.append(top)
        if top.passed or users == 1:
            return found
        low, high = 1.0, float(users)
        first = trial(1)
        found.trials.append(first)
        if not first.passed:
            return found
        while high - low > 1 and len(found.trials) < steps:
            mid = float(math.floor((low + high) / 2))
            result = trial(mid)
            found.trials.append(result)
            low, high = (mid, high) if result.passed else (low, mid)
        return found
    assert probe is not None
    found.probe_rps = rate = probe()
    if rate <= 0:
        return found
    top = trial(rate)
    found.trials.append(top)
    low, high = 0.0, rate
    while top.passed:  # a closed loop can under-measure what the target takes: climb past the probe
        if len(found.trials) >= steps:
            return found
        low, rate = rate, round(rate * GROWTH, 3)
        top = trial(rate)
        found.trials.append(top)
        high = rate
    while high - low > RATE_PRECISION * high and len(found.trials) < steps:
        mid = round((low + high) / 2, 3)
        result = trial(mid)
        found.trials.append(result)
        low, high = (mid, high) if result.passed else (low, mid)
    return found
