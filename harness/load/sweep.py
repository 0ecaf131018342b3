"""The concurrency sweep's reading: throughput against latency per level, and the saturation knee.

The knee is the level with the highest "power" (Kleinrock): throughput divided by median latency.
Below it, more users buy throughput almost for free; above it, they mostly buy queueing delay.
"""

from __future__ import annotations

from typing import Any

_BAR = 30  # characters of the longest bar in the text curve


def knee(rows: list[dict[str, Any]]) -> int | None:
    """Index of the row with the highest rps / p50 latency; None when no row has both."""
    best, best_power = None, 0.0
    for i, row in enumerate(rows):
        rps, latency = row.get("rps"), row.get("p50_latency_ms")
        if rps and latency:
            power = rps / latency
            if power > best_power:
                best, best_power = i, power
    return best


def curve(rows: list[dict[str, Any]], knee_index: int | None) -> list[str]:
    """Throughput and latency per level as text bars, the knee marked: for terminals and logs."""
    top_rps = max((row.get("rps") or 0 for row in rows), default=0) or 1
    top_latency = max((row.get("p50_latency_ms") or 0 for row in rows), default=0) or 1
    lines = [f"{'users':>6}  {'requests/s':<{_BAR + 10}}  p50 latency (ms)"]
    for i, row in enumerate(rows):
        rps = row.get("rps") or 0
        latency = row.get("p50_latency_ms") or 0
        rps_bar = "#" * round(_BAR * rps / top_rps)
        latency_bar = "=" * round(_BAR * latency / top_latency)
        mark = "  <- knee" if i == knee_index else ""
        lines.append(
            f"{row['users']:>6}  {rps_bar:<{_BAR}} {rps:>8.1f}  {latency_bar:<{_BAR}} {latency:>8.1f}{mark}"
        )
    return lines
