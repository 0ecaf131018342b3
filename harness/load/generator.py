"""The load generator's own honesty: was it the generator, not the server, that limited the load?

Every process that sends requests runs a probe: every PROBE_S it asks gevent for a nap of PROBE_S and
records how late it woke (the event loop's lag: a busy loop reads every stream late, so TTFT and ITL
grow with it), and once a second Locust's reading of its CPU use. Open-loop runs add the send lag of
each arrival (how late it left after its due time, harness/load/openloop.py) and the arrivals not sent
at all. `warnings` turns those into sentences for load.json and the console; none of them fails a run
(the server may still have been measured right), they say which figures to doubt.
"""

from __future__ import annotations

import time
from typing import Any

import gevent

from harness.load.metrics import LoadMetrics

PROBE_S = 0.1
SETTLE_S = 1.0  # the first second (users spawning, the tokenizer loading) is start-up, not load
BUSY_CPU_PERCENT = 90.0  # Locust's own warning threshold
LOOP_LAG_P95_MS = 20.0  # a loop this late a twentieth of the time delays that many stream reads
SEND_LAG_P99_MS = 50.0
SEND_LAG_GROWTH_MS = 10.0  # the last third of the run's mean send lag over the first third's


def run_probe(metrics: LoadMetrics, runner: Any, seconds: float) -> None:
    """Measure loop lag and CPU use into `metrics` for at most `seconds` (the test's greenlet kills it
    sooner)."""
    gevent.sleep(SETTLE_S)
    ends = time.perf_counter() + seconds
    next_cpu = time.perf_counter()
    while (now := time.perf_counter()) < ends:
        gevent.sleep(PROBE_S)
        woke = time.perf_counter()
        metrics.loop_lag.add(max(0.0, (woke - now - PROBE_S) * 1000))
        if woke >= next_cpu:
            next_cpu = woke + 1.0
            metrics.record_cpu(float(getattr(runner, "current_cpu_usage", 0.0) or 0.0), BUSY_CPU_PERCENT)


def _growth(series: list[dict[str, Any]]) -> float | None:
    """The mean send lag of the last third of the seconds with arrivals, less the first third's."""
    rows = [row for row in series if row.get("sent")]
    if len(rows) < 6:
        return None
    third = len(rows) // 3

    def mean(part: list[dict[str, Any]]) -> float:
        return sum(row["send_lag_ms_sum"] for row in part) / sum(row["sent"] for row in part)

    return mean(rows[-third:]) - mean(rows[:third])


def summary(metrics: LoadMetrics, series: list[dict[str, Any]], open_loop: bool) -> dict[str, Any]:
    """load.json's `generator`: what the probes saw, and the warnings they justify."""
    loop = metrics.loop_lag.summary()
    out: dict[str, Any] = {
        "loop_lag_ms": loop,
        "cpu_max_percent": metrics.cpu_max,
        "cpu_busy_s": metrics.cpu_busy,  # process-seconds at or over BUSY_CPU_PERCENT
        "cpu_samples": metrics.cpu_samples,
        "send_lag_growth_ms": _growth(series) if open_loop else None,
    }
    warnings = []
    if (loop["p95"] or 0) > LOOP_LAG_P95_MS:
        warnings.append(
            f"the load generator's event loop woke late (p95 {loop['p95']:.1f} ms, p99 {loop['p99']:.1f} ms):"
            " streams were read that much late, and tokens read together share one arrival time, so TTFT"
            " and ITL may be the generator's"
        )
    if metrics.cpu_busy and metrics.cpu_busy >= max(3, 0.2 * metrics.cpu_samples):
        warnings.append(
            f"a load-generating process used {BUSY_CPU_PERCENT:g}% of a core or more for {metrics.cpu_busy} s"
            f" (at most {metrics.cpu_max:.0f}%): the generator may have limited the load; add --processes"
            " or workers"
        )
    if open_loop:
        lag = metrics.send_lag.summary()
        growth = out["send_lag_growth_ms"]
        if (lag["p99"] or 0) > SEND_LAG_P99_MS or (growth or 0) > SEND_LAG_GROWTH_MS:
            grew = f", growing by {growth:.1f} ms over the run" if growth and growth > 0 else ""
            warnings.append(
                f"arrivals left late (send lag p99 {lag['p99'] or 0:.1f} ms{grew}): the generator could not"
                " keep the schedule, so the rate sent was below the rate asked"
            )
        if metrics.not_sent:
            warnings.append(
                f"{metrics.not_sent:,} arrivals were not sent: their user had its cap of requests in flight"
            )
    out["warnings"] = warnings
    out["limited"] = bool(warnings)
    return out
