"""The mergeable histogram: percentiles within its stated relative error, exact merges, round trips."""

from __future__ import annotations

import math
import random

import pytest

from harness.load.histogram import ALPHA, Histogram


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def filled(values: list[float]) -> Histogram:
    hist = Histogram()
    for value in values:
        hist.add(value)
    return hist


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: rng.lognormvariate(math.log(150), 0.6),  # TTFT-like
        lambda rng: rng.uniform(0.05, 3.0),  # sub-millisecond to few-ms gaps
        lambda rng: rng.expovariate(1 / 2000),  # long latencies
        lambda rng: float(rng.randint(1, 4096)),  # token counts
    ],
)
def test_percentiles_are_within_the_stated_relative_error(draw) -> None:
    rng = random.Random(7)
    values = [draw(rng) for _ in range(5000)]
    hist = filled(values)
    for q in (0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0):
        exact = exact_quantile(values, q)
        assert abs(hist.quantile(q) - exact) <= ALPHA * exact + 1e-12, q
    assert hist.count == len(values)
    assert hist.mean == pytest.approx(sum(values) / len(values))
    assert (hist.min, hist.max) == (min(values), max(values))


def test_a_coarse_histogram_would_fail_this_test() -> None:
    """The check above can fail: rounding to whole milliseconds (Locust's buckets under 100 ms) breaks it."""
    values = [1.4] * 10
    rounded = filled([float(round(v)) for v in values])
    assert abs(rounded.quantile(0.5) - 1.4) > ALPHA * 1.4


def test_merging_equals_recording_everything_in_one() -> None:
    rng = random.Random(3)
    parts = [[rng.lognormvariate(3, 1) for _ in range(n)] for n in (100, 1, 2500, 0)]
    merged = Histogram()
    for part in parts:
        merged.merge(filled(part))
    whole = filled([v for part in parts for v in part])
    assert merged.to_dict() == {**whole.to_dict(), "total": pytest.approx(whole.total)}
    assert merged.summary() == pytest.approx(whole.summary())


def test_round_trip_through_plain_data() -> None:
    hist = filled([0.0, 0.0005, 1.0, 12.5, 12.6, 9000.0])
    again = Histogram.from_dict(hist.to_dict())
    assert again.summary() == hist.summary()
    assert again.to_dict() == hist.to_dict()


def test_zeros_and_empty() -> None:
    empty = Histogram()
    assert empty.quantile(0.5) is None
    assert empty.summary()["p99"] is None and empty.summary()["count"] == 0
    zeros = filled([0.0, 0.0, 0.0, 5.0])
    assert zeros.quantile(0.5) == 0.0
    assert zeros.quantile(1.0) == 5.0
    assert Histogram.from_dict(empty.to_dict()).count == 0


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_negative_or_nan_values_are_bugs(bad: float) -> None:
    with pytest.raises(ValueError):
        Histogram().add(bad)
