"""`servecheck runs list`: the run folders under servecheck-runs/ (or --base), newest first."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.paths import RUNS_DIR

app = typer.Typer(help="The run store: past contract and load runs.", no_args_is_help=True)

VERDICT_STYLE = {"passed": "green", "failed": "red"}


@app.command("list")
def list_command(
    base: Annotated[Path, typer.Option(help="Folder holding the run folders.")] = RUNS_DIR,
) -> None:
    """List runs newest first: time, kind, target, verdict, partial."""
    from rich.table import Table

    from harness.runs.store import list_runs

    if base.exists() and not base.is_dir():
        print(f"servecheck runs list: error: {base} is not a folder", file=sys.stderr)
        raise typer.Exit(2)
    runs = list_runs(base)
    console = Console(highlight=False)
    if not runs:
        console.print(f"no runs under {base}", soft_wrap=True)
        return
    table = Table("started (UTC)", "kind", "target", "verdict", "partial", "folder")
    table.columns[0].no_wrap = True
    table.columns[-1].overflow = "fold"  # a folder is copied from here: never cut short
    for run in runs:
        style = VERDICT_STYLE.get(run.verdict, "yellow")
        table.add_row(
            run.started_at.removesuffix("+00:00").replace("T", " "),
            run.kind,
            run.target,
            f"[{style}]{run.verdict}[/]",
            "[yellow]partial[/]" if run.partial else "",
            str(run.path.relative_to(base)),
        )
    console.print(table)
