"""Open-loop arrivals: the schedule does not wait for answers; what cannot go out is counted."""

from __future__ import annotations

import random
import statistics
import time

import gevent
import gevent.pool
import pytest

from harness.load.metrics import LoadMetrics
from harness.load.openloop import RATE_CHECK_S, arrival_gaps, run_arrivals

pytestmark = pytest.mark.timing  # asserts on wall-clock time: run alone (make test)


def test_gap_distributions() -> None:
    rng = random.Random(5)
    poisson = arrival_gaps(rng, 50.0, "poisson")
    gaps = [next(poisson) for _ in range(5000)]
    assert statistics.mean(gaps) == pytest.approx(1 / 50, rel=0.05)
    assert statistics.stdev(gaps) == pytest.approx(1 / 50, rel=0.1)  # exponential: sd == mean
    for burstiness in (0.25, 4.0):  # gamma gaps: the same mean rate, the spread 1/sqrt(burstiness)
        gamma = arrival_gaps(rng, 50.0, "poisson", burstiness)
        gaps = [next(gamma) for _ in range(20000)]
        assert statistics.mean(gaps) == pytest.approx(1 / 50, rel=0.05)
        cv = statistics.stdev(gaps) / statistics.mean(gaps)
        assert cv == pytest.approx(burstiness**-0.5, rel=0.1)
    constant = arrival_gaps(rng, 50.0, "constant")
    first = next(constant)
    assert 0 <= first <= 1 / 50
    assert {next(constant) for _ in range(10)} == {1 / 50}


def constant_at(rng: random.Random):
    return lambda rate: arrival_gaps(rng, rate, "constant")


def run_for(budget: int, slow_s: float, cap: int) -> tuple[int, LoadMetrics, float]:
    """Constant arrivals at 200/s; each request takes `slow_s`."""
    left = [budget]
    sent = [0]

    def take() -> bool:
        left[0] -= 1
        return left[0] >= 0

    def send() -> None:
        sent[0] += 1
        gevent.sleep(slow_s)

    metrics = LoadMetrics(0.0)
    started = gevent.get_hub().loop.now()
    with gevent.Timeout(5):
        run_arrivals(constant_at(random.Random(1)), 200.0, gevent.pool.Pool(cap), send, metrics, take)
    return sent[0], metrics, gevent.get_hub().loop.now() - started


def test_a_slow_server_does_not_slow_the_schedule() -> None:
    sent, metrics, elapsed = run_for(budget=60, slow_s=0.1, cap=1000)
    assert sent == 60 and metrics.not_sent == 0
    assert elapsed < 0.3 + 0.1 + 0.15  # 60 arrivals at 200/s, plus the last answer; a closed loop needs 6 s
    assert metrics.send_lag.count == 60 and metrics.send_lag.quantile(0.5) < 20


def test_arrivals_beyond_the_in_flight_cap_are_counted_not_sent() -> None:
    sent, metrics, _ = run_for(budget=40, slow_s=0.1, cap=5)
    assert sent == 40
    # 5 in flight for 0.1 s each carry 50/s of the 200/s: about three arrivals in four are dropped.
    assert 60 <= metrics.not_sent <= 200
    assert sum(row.not_sent for row in metrics.series.values()) == metrics.not_sent


def test_a_new_rate_takes_over_from_the_wait_in_progress() -> None:
    # A sweep's first level offers 0.25/s: the user is waiting out its first gap (3.4 s with this
    # seed) when, 0.3 s in, the level becomes 100/s. Its 20 arrivals then leave within about 0.2 s.
    started = time.perf_counter()
    sent: list[float] = []

    def rate() -> float:
        return 0.25 if time.perf_counter() - started < 0.3 else 100.0

    def take() -> bool:
        return len(sent) < 20

    with gevent.Timeout(5):
        run_arrivals(
            constant_at(random.Random(0)), rate, gevent.pool.Pool(100),
            lambda: sent.append(time.perf_counter() - started), LoadMetrics(0.0), take,
        )  # fmt: skip
    assert len(sent) == 20 and sent[-1] < 0.3 + RATE_CHECK_S + 0.2 + 0.15, sent
