"""What the load report's and the diff's figures share: the layout (round ticks), empirical CDFs drawn
with a bounded number of points, and two runs' CDFs overlaid (`servecheck diff`)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from harness.runs.metrics import DISTRIBUTIONS

LAYOUT = {
    "template": "plotly_white",
    "height": 380,
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    # round ticks: 1,500 rather than 1.5k, 0.25 rather than 250m
    "xaxis": {"tickformat": ",~r"},
    "yaxis": {"tickformat": ",~r"},
}


MAX_CDF_POINTS = 500  # per curve: what the eye resolves, and a report stays small whatever the run


def cdf_points(values: list[float]) -> tuple[list[float], list[float]]:
    """(values, cumulative shares) of an empirical CDF, at most MAX_CDF_POINTS of them."""
    values = sorted(values)
    n = len(values)
    ranks = (
        range(n)
        if n <= MAX_CDF_POINTS
        else sorted({round(i * (n - 1) / (MAX_CDF_POINTS - 1)) for i in range(MAX_CDF_POINTS)})
    )
    return [values[i] for i in ranks], [(i + 1) / n for i in ranks]


def metric_label(metric: str) -> str:
    """A distribution's label ("TTFT (ms)") from its load.json key ("ttft_ms")."""
    return next(m.label for m in DISTRIBUTIONS.values() if m.key == metric)


def cdf_curve(samples: list[dict[str, Any]], metric: str) -> dict[str, Any] | None:
    """A metric's CDF over the successful samples (at most MAX_CDF_POINTS points): {"x", "y", "n"}."""
    values = [s[metric] for s in samples if not s.get("error") and isinstance(s.get(metric), int | float)]
    if not values:
        return None
    x, y = cdf_points(values)
    return {"x": x, "y": y, "n": len(values)}


def overlaid_cdfs(metric: str, curves: dict[str, dict[str, Any]]) -> go.Figure:
    """Two runs' CDFs of one metric on one plot (`servecheck diff`): a shift reads at every quantile."""
    fig = go.Figure()
    for name, curve in curves.items():
        label = f"{name} ({curve['n']:,})"
        fig.add_trace(go.Scatter(x=curve["x"], y=curve["y"], mode="lines", line_shape="hv", name=label))
    fig.update_layout(
        title=f"{metric_label(metric)} CDF", xaxis_title=metric_label(metric), yaxis_title="share of requests"
    )
    fig.update_yaxes(range=[0, 1.02])
    return fig.update_layout(**LAYOUT)
