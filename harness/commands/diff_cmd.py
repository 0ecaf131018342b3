"""`servecheck diff BASE_RUN NEW_RUN`: what changed between two runs, and whether that fails the build."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console


def diff(
    base_run: Annotated[Path, typer.Argument(help="The baseline run folder.")],
    new_run: Annotated[Path, typer.Argument(help="The run folder to judge against it.")],
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when any holds: breaking (a check newly failing, a field removed or retyped), "
            "[p50|p95|p99|mean_]METRIC:+N% or :-N% (latency, ttft, itl, tpot, throughput, "
            "output_tokens_per_s, error_rate in points), comma-separated."
        ),
    ] = "",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the diff as JSON here.")] = None,
    md: Annotated[Path | None, typer.Option("--md", help="Write a Markdown summary here.")] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML page here.")
    ] = None,
) -> None:
    """Compare two contract and/or load runs; exit 1 when a --fail-on condition holds."""
    from harness.diff.compare import compare
    from harness.diff.failon import FailOnError, parse_fail_on
    from harness.diff.render import html, markdown, print_console
    from harness.runs.read import RunDirError

    try:
        conditions = parse_fail_on(fail_on) if fail_on.strip() else []
        doc = compare(base_run, new_run, conditions)
    except (FailOnError, RunDirError) as exc:
        print(f"servecheck diff: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    print_console(Console(highlight=False), doc)
    try:
        outputs = (
            (json_out, lambda: orjson.dumps(doc, option=orjson.OPT_INDENT_2)),
            (md, lambda: markdown(doc).encode()),
            (html_out, lambda: html(doc).encode()),
        )
        for path, render in outputs:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(render())
    except OSError as exc:
        print(f"servecheck diff: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(2) from None
    raise typer.Exit(1 if doc["triggered"] else 0)
