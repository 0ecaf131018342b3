"""Open-loop arrivals: requests leave on a schedule, whether or not earlier ones have answered.

A closed loop (a user waits for its answer before sending again) sends less when the server slows
down, so its latencies look better than what clients with their own schedule see ("coordinated
omission"). Here each arrival is due at a fixed point in time; it is sent then, in its own greenlet,
or, when the user already has its cap of requests in flight, counted as not sent. How late a send
left after its due time is recorded too (the generator's own lag).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

import gevent
import gevent.pool

from harness.load.metrics import LoadMetrics


def arrival_gaps(
    rng: random.Random, rate: float | Callable[[], float], arrivals: str, burstiness: float = 1.0
) -> Iterator[float]:
    """Seconds between consecutive arrivals at `rate` per second (a number, or a function read at each
    arrival: a rate sweep's level): gamma-distributed gaps of shape `burstiness` and mean 1/rate
    ("poisson": with burstiness 1, exponential gaps, a Poisson process; below 1 arrivals come in
    bursts, above 1 more evenly, as vLLM bench's --burstiness), or constant 1/rate after a random
    first gap, so users do not fire in lockstep."""
    now = rate if callable(rate) else lambda: rate
    if arrivals == "poisson":
        while True:
            yield rng.gammavariate(burstiness, 1 / (now() * burstiness))
    yield rng.uniform(0, 1 / now())
    while True:
        yield 1 / now()


def run_arrivals(
    gaps: Iterator[float],
    pool: gevent.pool.Pool,
    send: Callable[[], object],
    metrics: LoadMetrics,
    take_request: Callable[[], bool],
) -> None:
    """Spawn `send` at each arrival until the request budget (`take_request`) runs out.

    Returns once the budget is spent and the requests in flight have finished; the caller's greenlet
    being killed (the test stopping) ends it at any time.
    """
    due = time.perf_counter()
    for gap in gaps:
        due += gap
        wait = due - time.perf_counter()
        if wait > 0:
            gevent.sleep(wait)
        now = time.perf_counter()
        if pool.full():
            metrics.record_not_sent(now)
            continue
        if not take_request():
            break
        metrics.record_send(now, (now - due) * 1000)
        pool.spawn(send)
    pool.join()
