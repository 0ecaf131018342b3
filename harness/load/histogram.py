"""A mergeable histogram with a guaranteed relative error, for latencies (ms) and token counts.

Values land in logarithmic buckets (DDSketch's layout): bucket i holds (G^(i-1), G^i] with
G = (1 + a) / (1 - a), and reports the value 2 G^i / (G + 1), which is within a relative error `a`
of every value in the bucket. So every percentile we report is within 0.5% (ALPHA) of a value that
really was observed at that rank, at any sample count and after any number of merges: merging two
histograms is adding their bucket counts. Count, sum, min and max are kept exactly.

Locust's own histogram rounds to whole milliseconds below 100 ms and to two significant digits above,
which is too coarse for inter-token gaps of a few milliseconds; this one is what load.json reports.
"""

from __future__ import annotations

import math
from typing import Any

from harness.runs.metrics import PERCENTILES

ALPHA = 0.005  # relative error bound of every reported percentile
_GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
ZERO_BELOW = 1e-3  # values below this (1 microsecond in ms) count as zero


class Histogram:
    __slots__ = ("buckets", "count", "max", "min", "total", "zeros")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, value: float) -> None:
        if value < 0 or value != value:  # negative or NaN: a measurement bug, never a sample
            raise ValueError(f"histogram values must be >= 0, got {value}")
        self.count += 1
        self.total += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        if value < ZERO_BELOW:
            self.zeros += 1
            return
        index = math.ceil(math.log(value) / _LOG_GAMMA)
        self.buckets[index] = self.buckets.get(index, 0) + 1

    def merge(self, other: Histogram) -> None:
        for index, n in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        self.zeros += other.zeros
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float | None:
        """The nearest-rank q-quantile (0 < q <= 1), within ALPHA relative error; None when empty."""
        if not self.count:
            return None
        rank = max(1, math.ceil(q * self.count))
        if rank == self.count:
            return self.max  # the extremes are kept exactly
        if rank <= self.zeros:
            return self.min
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                value = 2 * _GAMMA**index / (_GAMMA + 1)
                return min(max(value, self.min), self.max)
        return self.max

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def summary(self) -> dict[str, float | int | None]:
        """count, mean, min, max and the p50/p90/p95/p99 we report everywhere."""
        out: dict[str, float | int | None] = {"count": self.count, "mean": self.mean}
        for p in PERCENTILES:
            out[f"p{p}"] = self.quantile(p / 100)
        out["min"] = self.min if self.count else None
        out["max"] = self.max if self.count else None
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON and msgpack safe: string bucket keys) that `from_dict` reads back."""
        return {
            "buckets": {str(i): n for i, n in self.buckets.items()},
            "zeros": self.zeros,
            "count": self.count,
            "total": self.total,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Histogram:
        hist = cls()
        hist.buckets = {int(i): int(n) for i, n in data["buckets"].items()}
        hist.zeros = int(data["zeros"])
        hist.count = int(data["count"])
        hist.total = float(data["total"])
        if hist.count:
            hist.min = float(data["min"])
            hist.max = float(data["max"])
        return hist
