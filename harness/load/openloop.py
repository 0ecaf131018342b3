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

RATE_CHECK_S = 0.1  # a rate that changes (a sweep's levels) is read this often while waiting


def arrival_gaps(rng: random.Random, rate: float, arrivals: str, burstiness: float = 1.0) -> Iterator[float]:
    """Seconds between consecutive arrivals at `rate` per second: gamma-distributed gaps of shape
    `burstiness` and mean 1/rate ("poisson": with burstiness 1, exponential gaps, a Poisson process;
    below 1 arrivals come in bursts, above 1 more evenly, as vLLM bench's --burstiness), or constant
    1/rate after a random first gap, so users do not fire in lockstep."""
    if arrivals == "poisson":
        while True:
            yield rng.gammavariate(burstiness, 1 / (rate * burstiness))
    yield rng.uniform(0, 1 / rate)
    while True:
        yield 1 / rate


def run_arrivals(
    schedule: Callable[[float], Iterator[float]],
    rate: float | Callable[[], float | None],
    pool: gevent.pool.Pool,
    send: Callable[[], object],
    metrics: LoadMetrics,
    take_request: Callable[[], bool],
) -> None:
    """Spawn `send` at each arrival of `schedule(rate)` until the request budget (`take_request`) runs out.

    `rate` is a number or a function (a rate sweep's level, None before the first). When it changes,
    the wait in progress is dropped and the new rate's schedule starts there: a user sleeping on a
    gap drawn at a fifth of capacity would otherwise send at that rate well into the next level
    (exponential gaps have no memory, so starting afresh keeps the arrivals a Poisson process).
    Returns once the budget is spent and the requests in flight have finished; the caller's greenlet
    being killed (the test stopping) ends it at any time.
    """
    read = rate if callable(rate) else None
    current = (read() if read else rate) or 0.0
    gaps = schedule(current)
    due = time.perf_counter() + next(gaps)
    while True:
        wait = due - time.perf_counter()
        if wait > 0:
            gevent.sleep(min(wait, RATE_CHECK_S) if read else wait)
            if read and (new := read()) and new != current:
                current, gaps = new, schedule(new)
                due = time.perf_counter() + next(gaps)
            continue
        now = time.perf_counter()
        if pool.full():
            metrics.record_not_sent(now)
        elif not take_request():
            break
        else:
            metrics.record_send(now, (now - due) * 1000)
            pool.spawn(send)
        due += next(gaps)
    pool.join()
