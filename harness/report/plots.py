"""The load report's figures (plotly): distributions, time series, errors, server metrics, the sweep.

Each function takes the run's plain data and returns a Figure, or None when the run has no such data
(no error plot for a run without errors: the page says so in words). The time series mark where each
level of a phased shape began. Only the trace types plotly.js' basic bundle draws (PLOTLY_TRACES).
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from harness.load.slo import parse_slos
from harness.render.figures import LAYOUT, cdf_points, metric_label
from harness.runs.metrics import PERCENTILES


def distribution(load: dict[str, Any], samples: list[dict[str, Any]], metric: str) -> go.Figure | None:
    """A metric's CDF: every successful sample when samples.jsonl exists, else load.json's percentiles."""
    by_scenario: dict[str, list[float]] = {}
    for sample in samples:
        if not sample.get("error") and isinstance(sample.get(metric), int | float):
            by_scenario.setdefault(str(sample.get("scenario", "all")), []).append(sample[metric])
    label = metric_label(metric)
    fig = go.Figure()
    if by_scenario:  # one curve per scenario: a mix's scenarios have distributions of their own
        for scenario, values in sorted(by_scenario.items()):
            x, y = cdf_points(values)
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
    _phase_starts(fig, load)
    fig.update_layout(
        title="throughput and latency over time",
        xaxis_title="seconds into the run",
        yaxis={"title": "ms", "rangemode": "tozero"},
        yaxis2=_right_axis("requests/s"),
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.update_layout(**LAYOUT)


def _right_axis(title: str, **extra: Any) -> dict[str, Any]:
    """A second y axis on the right with round ticks of its own (plotly would otherwise place them
    on the left axis' grid lines: 0.617, 1.235, ... users)."""
    axis = {"title": title, "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False}
    return axis | {"tickmode": "auto", "nticks": 6, "tickformat": ",~r"} | extra


def _whole_steps(top: float) -> dict[str, Any]:
    """Ticks at whole numbers (users), about five of them."""
    return {"tickmode": "linear", "tick0": 0, "dtick": max(1, math.ceil(top / 5)), "tickformat": ",d"}


def _phase_starts(fig: go.Figure, load: dict[str, Any]) -> None:
    """A dotted line where each level of a phased shape (sweep, rate sweep, steps) began."""
    for phase in (load.get("phases") or [])[1:]:
        fig.add_vline(x=phase["start_s"], line_dash="dot", line_color="#8c959f", line_width=1)


def tokens_over_time(load: dict[str, Any]) -> go.Figure | None:
    """Output tokens/s (and those of requests that met --goodput) and active users, each second."""
    rows = load.get("series") or []
    if not rows:
        return None
    t = [row["t"] for row in rows]
    fig = go.Figure()
    tokens = [row["output_tokens"] for row in rows]
    fig.add_trace(go.Scatter(x=t, y=tokens, mode="lines", name="output tokens/s"))
    if (load.get("config") or {}).get("goodput"):
        good = [row.get("good_tokens", 0) for row in rows]
        fig.add_trace(go.Scatter(x=t, y=good, mode="lines", name="goodput tokens/s"))
    users = [row.get("users") for row in rows]
    if any(u is not None for u in users):
        fig.add_trace(
            go.Scatter(x=t, y=users, mode="lines", line_shape="hv", name="active users", yaxis="y2")
        )
    _phase_starts(fig, load)
    fig.update_layout(
        title="output tokens and users over time",
        xaxis_title="seconds into the run",
        yaxis={"title": "tokens/s", "rangemode": "tozero"},
        yaxis2=_right_axis("users", **_whole_steps(max((u for u in users if u is not None), default=1))),
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.update_layout(**LAYOUT)


def server_metrics(load: dict[str, Any]) -> go.Figure | None:
    """The target's own Prometheus series (running and waiting requests, KV-cache use), on our clock."""
    found = load.get("server_metrics") or {}
    series = found.get("series") or {}
    if not found.get("available") or not series:
        return None
    fig = go.Figure()
    for name, line in sorted(series.items()):
        points = line.get("points") or []
        share = name.endswith("usage")  # a 0..1 share: its own axis
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="lines",
                name=f"{name} ({line.get('metric')})",
                yaxis="y2" if share else "y",
            )
        )
    _phase_starts(fig, load)
    fig.update_layout(
        title=f"the server's own metrics ({found.get('url')})",
        xaxis_title="seconds into the run",
        yaxis={"title": "requests", "rangemode": "tozero"},
        yaxis2=_right_axis("share", range=[0, 1.02]),
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.update_layout(**LAYOUT)


def errors(load: dict[str, Any]) -> go.Figure | None:
    """Errors by kind; None when there were none (the page says so: an empty plot says nothing)."""
    by_kind = load.get("errors_by_kind") or {}
    if not by_kind:
        return None
    kinds = sorted(by_kind, key=lambda k: -by_kind[k])
    counts = [by_kind[k] for k in kinds]
    ok = load.get("requests", 0) - load.get("errors", 0)
    fig = go.Figure(go.Bar(x=kinds, y=counts, marker_color="#cf222e"))
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


def slo_search(load: dict[str, Any]) -> go.Figure | None:
    """Each trial of an SLO search: every objective's observed value against the load tried, with its
    95% interval where there is one, the threshold dashed and the answer dotted."""
    search = load.get("slo_search") or {}
    trials = search.get("trials") or []
    if not trials:
        return None
    unit = "req/s" if search.get("kind") == "rate" else "users"
    fig = go.Figure()
    for objective in parse_slos(",".join(o["objective"] for o in trials[0]["objectives"])):
        name = str(objective)
        rows = [
            (trial["value"], o) for trial in trials for o in trial["objectives"] if o["objective"] == name
        ]
        rows = [(value, o) for value, o in sorted(rows, key=lambda row: row[0]) if o["observed"] is not None]
        observed = [o["observed"] for _, o in rows]
        bounds = [o["interval"] or [o["observed"], o["observed"]] for _, o in rows]
        fig.add_trace(
            go.Scatter(
                x=[value for value, _ in rows],
                y=observed,
                mode="lines+markers",
                name=name,
                marker={"color": ["#1a7f37" if o["passed"] else "#cf222e" for _, o in rows], "size": 9},
                error_y={
                    "type": "data",
                    "array": [high - y for (_, high), y in zip(bounds, observed, strict=True)],
                    "arrayminus": [y - low for (low, _), y in zip(bounds, observed, strict=True)],
                },
            )
        )
        fig.add_hline(y=objective.threshold, line_dash="dash", line_color="#8c959f", line_width=1)
    if search.get("answer") is not None:
        fig.add_vline(x=search["answer"], line_dash="dot", line_color="#1a7f37", line_width=1)
    fig.update_layout(
        title=f"SLO search by {search.get('kind')}: each trial (green met the SLOs, red did not)",
        xaxis_title=unit,
        yaxis={"title": "observed", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.update_layout(**LAYOUT)


def figures(
    load: dict[str, Any], samples: list[dict[str, Any]], live: list[dict[str, Any]]
) -> dict[str, go.Figure]:
    """Every figure the run has data for, by a stable id (used as the plot's div id)."""
    found = {
        "plot-latency-cdf": distribution(load, samples, "latency_ms"),
        "plot-ttft-cdf": distribution(load, samples, "ttft_ms"),
        "plot-itl-cdf": distribution(load, samples, "itl_ms"),
        "plot-tpot-cdf": distribution(load, samples, "tpot_ms"),
        "plot-over-time": over_time(load, live),
        "plot-tokens-over-time": tokens_over_time(load),
        "plot-server-metrics": server_metrics(load),
        "plot-errors": errors(load),
        "plot-sweep": sweep(load),
        "plot-slo-search": slo_search(load),
    }
    return {key: fig for key, fig in found.items() if fig is not None}
