"""`servecheck report RUN_DIR`: a run folder as one self-contained HTML page or a Markdown summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from harness.commands.output_file import write_output
from harness.runs import layout

FORMATS = layout.REPORTS


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder of `servecheck contract` or `load`.")],
    format: Annotated[str, typer.Option("--format", help="html or md.")] = "html",
    output: Annotated[
        Path | None,
        typer.Option(help="Where to write (default RUN_DIR/report.html or report.md; - for stdout)."),
    ] = None,
) -> None:
    """Render a run folder as an HTML report (plots, failures, SLOs) or a Markdown summary."""
    from harness.report.html_report import render_html
    from harness.report.markdown import render_markdown
    from harness.runs.read import RunDirError, read_run

    if format not in FORMATS:
        print(f"servecheck report: error: --format must be html or md, not {format!r}", file=sys.stderr)
        raise typer.Exit(2)
    try:
        run = read_run(run_dir)
    except RunDirError as exc:
        print(f"servecheck report: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    target = output or run_dir / FORMATS[format]
    # The Markdown links failing checks to the HTML report expected beside it.
    text = render_html(run) if format == "html" else render_markdown(run, FORMATS["html"])
    if write_output(text, target, "report"):
        print(f"report: {target}" + (" (PARTIAL run)" if run.partial else ""))
