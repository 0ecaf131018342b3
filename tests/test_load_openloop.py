"""Open-loop arrivals: the schedule does not wait for answers; what cannot go out is counted."""

from __future__ import annotations

import random
import statistics

import gevent
import gevent.pool
import pytest

from harness.load.metrics import LoadMetrics
from harness.load.openloop import arrival_gaps, run_arrivals

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
        run_arrivals(
            arrival_gaps(random.Random(1), 200.0, "constant"), gevent.pool.Pool(cap), send, metrics, take
        )
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
