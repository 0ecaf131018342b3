"""The `servecheck` command line: a thin layer that parses options and hands them to the engines.

Each command group lives in its own module under harness/commands/ and is mounted here.
"""

from typing import Annotated

import typer

from harness import __version__
from harness.commands import (
    baseline_cmd,
    checks_cmd,
    contract_cmd,
    diff_cmd,
    load_cmd,
    mock_cmd,
    report_cmd,
    runs_cmd,
    schemas_cmd,
)
from harness.wire.redact import keep_token_variables, redact_process_output

app = typer.Typer(
    name="servecheck",
    help="Contract tests and load benchmarks for OpenAI-compatible and Databricks LLM serving endpoints.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"servecheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version, exit.")
    ] = False,
) -> None:
    """Contract tests and load benchmarks for OpenAI-compatible and Databricks LLM serving endpoints."""
    # One redaction step for all a command prints: the token variables' values never reach the console.
    keep_token_variables()
    redact_process_output()


app.add_typer(schemas_cmd.app, name="schemas")
app.add_typer(checks_cmd.app, name="checks")
app.command("mock")(mock_cmd.mock)
app.command("contract")(contract_cmd.contract)
app.command("load")(load_cmd.load)
app.add_typer(runs_cmd.app, name="runs")
app.command("report")(report_cmd.report)
app.command("diff")(diff_cmd.diff)
app.command("explain")(checks_cmd.explain)
app.command("baseline")(baseline_cmd.baseline)
