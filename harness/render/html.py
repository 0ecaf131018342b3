"""The HTML machinery every servecheck report shares: jinja2 templates from reports/templates/ (harness.paths)
(autoescaped: response excerpts are hostile input), plotly figures inlined, one file that opens offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from harness.paths import TEMPLATES_DIR, VENDOR_DIR


@dataclass(frozen=True)
class Section:
    """One titled part of a page; `body` is trusted HTML (build it with `fragment` or `plot_div`)."""

    title: str
    body: Markup
    anchor: str = ""

    def __post_init__(self) -> None:
        if not self.anchor:
            object.__setattr__(self, "anchor", anchor(self.title))


def anchor(text: str) -> str:
    """A stable id for a heading or a check, also used by the Markdown report's links."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its suffix
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["anchor"] = anchor
    return env


PLOTLY_BUNDLE = VENDOR_DIR / "plotly-basic.min.js"
PLOTLY_TRACES = frozenset({"scatter", "bar", "pie"})  # all the basic bundle draws


@cache
def plotly_js() -> Markup:
    """plotly.js' basic bundle (1.2 MB, not plotly.py's full 4.8 MB), inlined once per page so the file
    opens without a network; every figure keeps to its trace types (PLOTLY_TRACES)."""
    return Markup(PLOTLY_BUNDLE.read_text(encoding="utf-8"))


def render(template: str, **context: Any) -> str:
    """Render a template under reports/templates/ (autoescaped)."""
    return environment().get_template(template).render(**context)


def fragment(template: str, **context: Any) -> Markup:
    """A rendered (escaped) template used as a section body."""
    return Markup(render(template, **context))


def plot_div(fig: go.Figure, div_id: str) -> Markup:
    """A figure as a <div class="plot"> and the script that draws it; plotly.js comes from the page."""
    html = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return Markup(f'<div class="plot-wrap" data-plot="{div_id}">{html}</div>')


def render_page(
    title: str,
    sections: list[Section],
    *,
    verdict: str | None = None,
    subtitle: str = "",
    partial: str = "",
    plots: bool = False,
) -> str:
    """A whole self-contained page: a header (title, verdict pass|fail|skip, subtitle, a partial banner
    when `partial` says why) and the sections in order. `plots=True` inlines plotly.js."""
    return render(
        "page.html.j2",
        title=title,
        sections=sections,
        verdict=verdict,
        subtitle=subtitle,
        partial=partial,
        header_class="partial" if partial else (verdict or ""),
        plotly_js=plotly_js() if plots else "",
    )
