"""`servecheck checks list` (the catalogue of contract checks) and `servecheck explain CODE`."""

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The catalogue of contract checks.", no_args_is_help=True)


@app.command("list")
def list_checks() -> None:
    """Print every check with its code, level and one-line description."""
    from harness.checks import CATALOGUE  # loads every check and the tokenizer: only for this command

    table = Table(show_header=True)
    table.add_column("check")
    table.add_column("code")
    table.add_column("level")
    table.add_column("what it verifies")
    for name in sorted(CATALOGUE):
        check = CATALOGUE[name]
        table.add_row(name, check.code, check.level, check.description)
    Console().print(table)


def explain(code: Annotated[str, typer.Argument(help="A failure code, e.g. SC-STREAM-DONE.")]) -> None:
    """Say what a failure code's rule is, why it matters and which clients break on it."""
    import harness.checks  # noqa: F401  (registers the catalogue)
    from harness.checks.base import CATALOGUE, by_code
    from harness.levels import LEVELS

    check = by_code(code)
    if check is None:
        known = ", ".join(sorted(c.code for c in CATALOGUE.values()))
        print(f"servecheck explain: error: unknown code {code!r}; known codes: {known}", file=sys.stderr)
        raise typer.Exit(2)
    strength = {
        "spec": "the API reference says so",
        "compat": "what OpenAI's and Databricks' servers do",
        "strict": "good practice",
    }
    fails = ", ".join(level for level in LEVELS if LEVELS.index(level) >= LEVELS.index(check.level))
    lines = [
        f"{check.code}  ({check.name})",
        f"rule:    {check.description}",
        f"level:   {check.level}: {strength[check.level]}; fails a run at --level {fails}",
        f"why:     {check.why}",
        f"breaks:  {check.breaks}",
    ]
    typer.echo("\n".join(lines))
