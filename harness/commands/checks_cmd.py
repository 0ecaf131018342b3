"""`servecheck checks list`: the catalogue of contract checks."""

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="The catalogue of contract checks.", no_args_is_help=True)


@app.command("list")
def list_checks() -> None:
    """Print every check with its one-line description."""
    from harness.checks import CATALOGUE  # loads every check and the tokenizer: only for this command

    table = Table(show_header=True)
    table.add_column("check")
    table.add_column("what it verifies")
    for name in sorted(CATALOGUE):
        table.add_row(name, CATALOGUE[name].description)
    Console().print(table)
