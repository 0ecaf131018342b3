"""The `servecheck` command line: a thin layer that parses options and hands them to the engines.

Each command group lives in its own module under harness/commands/ and is mounted here.
"""

import typer

from harness.commands import schemas_cmd

app = typer.Typer(
    name="servecheck",
    help="Contract tests and load benchmarks for OpenAI-compatible and Databricks LLM serving endpoints.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(schemas_cmd.app, name="schemas")
# Further command modules (mock_cmd, contract_cmd, checks_cmd, load_cmd) are mounted here as they land:
#   from harness.commands import mock_cmd;  app.command("mock")(mock_cmd.mock)
