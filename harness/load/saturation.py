"""The rate sweep (`--shape rate-sweep`): from its probe's throughput to the rates it offers, and the
over-saturation that ends it early.

The probe level runs closed loop with every user, so it measures the most the target serves
(`max_rps`, over its steady seconds). The open-loop levels then offer 1/k, 2/k, ... of that. A level is
over-saturated when requests pile up (more sent than answered, second after second, by more than a
second's worth) while TTFT climbs: the queue, not the model, sets the latency from there on, and the
higher levels would only measure a longer queue. The run then stops, and says at which rate.

Plain data in, plain data out; the plugin calls it once a second on the master (or the single process)
and sends the levels to the workers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from harness.load.metrics import Second
from harness.load.shapes import Plan, steady_seconds

OVER_SATURATED = "over_saturated"  # the stop reason of a sweep ended by it
RISING_S = 3  # seconds of a growing backlog that make a trend
TTFT_GROWTH = 1.5  # ... while the mean TTFT grew this much over the level's first second


@dataclass(frozen=True)
class Level:
    start: float  # seconds since the test started
    end: float
    rate: float  # requests per second offered, in all


def rate_at(levels: list[Level], elapsed: float) -> float | None:
    """The offered rate at `elapsed`; None before the first level (the probe runs closed loop)."""
    for level in levels:
        if level.start <= elapsed < level.end:
            return level.rate
    return levels[-1].rate if levels and elapsed >= levels[-1].end else None


def probe_throughput(plan: Plan, series: dict[int, Second]) -> float:
    """Successful requests per second over the probe level's steady seconds."""
    seconds = steady_seconds(plan.phases[0])
    done = sum(series[s].requests - series[s].errors for s in seconds if s in series)
    return done / max(len(seconds), 1)


def levels_for(plan: Plan, max_rps: float) -> list[Level]:
    return [Level(p.start, p.end, max_rps * p.share) for p in plan.phases if p.share is not None]


def over_saturated(levels: list[Level], series: dict[int, Second], complete_to: int) -> dict[str, Any] | None:
    """The level over-saturated by the seconds up to `complete_to` (those every process has reported),
    or None. Its record: the level's index, its offered rate, the backlog and TTFT that show it."""
    for index, level in enumerate(levels):
        last = int(min(level.end, complete_to))  # a fixed open loop's one level never ends
        seconds = [s for s in range(int(level.start) + 1, last) if s in series]
        if len(seconds) < RISING_S + 1:
            continue
        backlog, backlogs = 0, []
        for second in seconds:
            backlog += series[second].sent - series[second].requests
            backlogs.append(backlog)
        recent = backlogs[-(RISING_S + 1) :]
        growing = all(b < a for b, a in itertools.pairwise(recent))
        first, last = _mean_ttft(series[seconds[0]]), _mean_ttft(series[seconds[-1]])
        climbing = first is not None and last is not None and last > TTFT_GROWTH * first
        if growing and backlog > max(5.0, level.rate) and climbing:
            return {
                "level": index,
                "offered_rps": level.rate,
                "backlog": backlog,
                "ttft_ms_first": first,
                "ttft_ms_last": last,
                "at_s": seconds[-1],
            }
    return None


def _mean_ttft(row: Second) -> float | None:
    if row.ttft_count:
        return row.ttft_ms_sum / row.ttft_count
    ok = row.requests - row.errors
    return row.latency_ms_sum / ok if ok else None  # a non-streamed answer's first token is its last


SUSTAINED = 0.9  # a level that answered this share of what it sent kept up


def kept_up(row: dict[str, Any]) -> bool:
    """Whether a level's answers kept pace with its arrivals: the successful answers that ended in
    its seconds against the arrivals sent in them (not the nominal rate: a Poisson schedule sends
    more or fewer, and at a few requests a level that is the difference decides), give or take
    the one request a level boundary can cut."""
    answered = row["rps"] * max(row["measured_s"], 1)
    return answered >= SUSTAINED * row["sent"] - 1


def summary(rows: list[dict[str, Any]], found: dict[str, Any]) -> dict[str, Any]:
    """load.json's `saturation`: the probe's throughput, each level's offered and achieved rate, the
    over-saturation that stopped the sweep (if one did) and the highest rate the target kept up with.
    `rows` are the run's phases (the probe first); `found` what the master recorded."""
    levels = found.get("levels") or []
    stopped = found.get("over_saturated")
    out_levels = []
    for index, (level, row) in enumerate(zip(levels, rows[1:], strict=False)):
        offered = level["rate"]
        ran = bool(row["requests"]) and (stopped is None or index <= stopped["level"])
        out_levels.append(
            {
                "offered_rps": offered,
                "achieved_rps": row["rps"] if ran else None,
                "p50_ttft_ms": row["p50_ttft_ms"],
                "p95_ttft_ms": row["p95_ttft_ms"],
                "sent_rps": row["sent"] / max(row["measured_s"], 1),
                "kept_up": ran and kept_up(row),
                "ran": ran,
            }
        )
    kept = [level["offered_rps"] for level in out_levels if level["kept_up"]]
    return {
        "probe_rps": found.get("probe_rps"),
        "levels": out_levels,
        "over_saturated": stopped,
        "sustained_rps": max(kept) if kept else None,
    }
