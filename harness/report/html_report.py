"""The HTML page of a run: reports/templates/run.html.j2, plotly.js and figures inline."""

from __future__ import annotations

from harness.render.html import plot_div, plotly_js, render
from harness.report import plots
from harness.report.view import run_view
from harness.runs.read import RunData


def render_html(run: RunData) -> str:
    view = run_view(run)
    if view["load"] is not None:
        figures = plots.figures(run.load or {}, run.samples, run.live)
        view["load"]["plots"] = [plot_div(fig, div_id) for div_id, fig in figures.items()]
    return render(
        "run.html.j2",
        **view,
        header_class="partial" if view["partial_notes"] else view["verdict"],
        plotly_js=plotly_js() if view["load"] is not None else "",
    )
