"""The load report's figures (plotly): distributions, time series, errors, the sweep curve.

Each function takes the run's plain data and returns a Figure, or None when the run has no such data.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from harness.runs.metrics import DISTRIBUTIONS, PERCENTILES

LAYOUT = {"template": "plotly_white", "height": 380, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


MAX_CDF_POINTS = 500  # per curve: what the eye resolves, and a report stays small whatever the run


def _cdf_points(values: list[float]) -> tuple[list[float], list[float]]:
    values = sorted(values)
    n = len(values)
    ranks = (
        range(n)
        if n <= MAX_CDF_POINTS
        else sorted({round(i * (n - 1) / (MAX_CDF_POINTS - 1)) for i in range(MAX_CDF_POINTS)})
    )
    return [values[i] for i in ranks], [(i + 1) / n for i in ranks]


def distribution(load: dict[str, Any], samples: list[dict[str, Any]], metric: str) -> go.Figure | None:
    """A metric's CDF: every successful sample when samples.jsonl exists, else load.json's percentiles."""
    by_scenario: dict[str, list[float]] = {}
    for sample in samples:
        if not sample.get("error") and isinstance(sample.get(metric), int | float):
            by_scenario.setdefault(str(sample.get("scenario", "all")), []).append(sample[metric])
    label = next(m.label for m in DISTRIBUTIONS.values() if m.key == metric)
    fig = go.Figure()
    if by_scenario:  # one curve per scenario: a mix's scenarios have distributions of their own
        for scenario, values in sorted(by_scenario.items()):
            x, y = _cdf_points(values)
            name = f"{scenario} ({len(values):,})"
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=name))
        source = "samples.jsonl"
    else:
        stats = load.get("metrics", {}).get(metric)
        if not stats or not stats.get("count"):
            return None
        points = [(stats["min"], 0.0)] + [(stats[f"p{q}"], q / 100) for q in PERCENTILES]
        points.append((stats["max"], 1.0))
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers"))
        source = "percentiles in load.json"
    fig.update_layout(title=f"{label} CDF, from {source}", xaxis_title=label, yaxis_title="share of requests")
    fig.update_yaxes(range=[0, 1.02])
    return fig.update_layout(**LAYOUT)


def over_time(load: dict[str, Any], live: list[dict[str, Any]]) -> go.Figure | None:
    """Successful requests/s and latency per second: load.json's series, else live.jsonl (a killed run)."""
    series = load.get("series") or []
    if series:
        rows, keys = series, ("successful", "mean_latency_ms", "mean_ttft_ms")
        names = ("mean latency (ms)", "mean TTFT (ms)")
    elif live:
        rows, keys = live, ("rps", "p50_latency_ms", "p50_ttft_ms")
        names = ("p50 latency (ms, so far)", "p50 TTFT (ms, so far)")
    else:
        return None
    t = [row["t"] for row in rows]
    rps = [row.get(keys[0], row.get("requests", 0)) for row in rows]  # runs before `successful`: all
    latency, ttft = ([row.get(key) for row in rows] for key in keys[1:])
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=t, y=rps, name="successful requests/s", marker_color="#9ecae1", opacity=0.5, yaxis="y2")
    )
    fig.add_trace(go.Scatter(x=t, y=latency, mode="lines+markers", name=names[0]))
    if any(v is not None for v in ttft):
        fig.add_trace(go.Scatter(x=t, y=ttft, mode="lines+markers", name=names[1]))
    fig.update_layout(
        title="throughput and latency over time",
        xaxis_title="seconds into the run",
        yaxis={"title": "ms", "rangemode": "tozero"},
        yaxis2={"title": "requests/s", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.update_layout(**LAYOUT)


def errors(load: dict[str, Any]) -> go.Figure:
    """Errors by kind (a single 'no errors' bar when there were none, so the reader sees it was checked)."""
    by_kind = load.get("errors_by_kind") or {}
    kinds = sorted(by_kind, key=lambda k: -by_kind[k]) or ["no errors"]
    counts = [by_kind.get(k, 0) for k in kinds]
    ok = load.get("requests", 0) - load.get("errors", 0)
    fig = go.Figure(go.Bar(x=kinds, y=counts, marker_color="#cf222e" if by_kind else "#1a7f37"))
    fig.update_layout(
        title=f"errors by kind ({ok} of {load.get('requests', 0)} requests ok)", yaxis_title="requests"
    )
    return fig.update_layout(**LAYOUT)


def sweep(load: dict[str, Any]) -> go.Figure | None:
    """The sweep's throughput-vs-latency curve, one point per concurrency level, the knee marked."""
    phases = load.get("phases") or []
    if len(phases) < 2:
        return None
    fig = go.Figure(
        go.Scatter(
            x=[p["rps"] for p in phases],
            y=[p["p50_latency_ms"] for p in phases],
            mode="lines+markers+text",
            text=[
                f"{p['users']} users" + (" (knee)" if i == load.get("knee") else "")
                for i, p in enumerate(phases)
            ],
            textposition="top left",
            name="p50 latency",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[p["rps"] for p in phases],
            y=[p["p95_latency_ms"] for p in phases],
            mode="lines+markers",
            name="p95 latency",
        )
    )
    fig.update_layout(
        title="sweep: throughput vs latency", xaxis_title="requests/s", yaxis_title="latency (ms)"
    )
    return fig.update_layout(**LAYOUT)


def figures(
    load: dict[str, Any], samples: list[dict[str, Any]], live: list[dict[str, Any]]
) -> dict[str, go.Figure]:
    """Every figure the run has data for, by a stable id (used as the plot's div id)."""
    found = {
        "plot-latency-cdf": distribution(load, samples, "latency_ms"),
        "plot-ttft-cdf": distribution(load, samples, "ttft_ms"),
        "plot-over-time": over_time(load, live),
        "plot-errors": errors(load),
        "plot-sweep": sweep(load),
    }
    return {key: fig for key, fig in found.items() if fig is not None}
