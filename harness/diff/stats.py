"""Significance tests for run-to-run changes, small enough to own (scipy is not a dependency)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def mann_whitney_u(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """U of `a` and the two-sided p-value (normal approximation, tie and continuity corrected),
    as scipy.stats.mannwhitneyu(a, b, method="asymptotic") computes them."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(x, 0) for x in a] + [(x, 1) for x in b])
    rank_sum_a, ties, i = 0.0, 0.0, 0
    while i < len(pooled):  # average ranks over runs of equal values
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        rank = (i + j + 1) / 2
        rank_sum_a += rank * sum(1 for _, side in pooled[i:j] if side == 0)
        ties += (j - i) ** 3 - (j - i)
        i = j
    u = rank_sum_a - n1 * (n1 + 1) / 2
    n = n1 + n2
    mean = n1 * n2 / 2
    var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return u, 1.0  # every value equal: no evidence of a shift
    z = (abs(u - mean) - 0.5) / math.sqrt(var)
    return u, min(1.0, _two_sided(max(z, 0.0)))


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value that x1/n1 and x2/n2 differ (pooled z-test), e.g. two runs' error rates."""
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    return _two_sided((x1 / n1 - x2 / n2) / math.sqrt(var))
