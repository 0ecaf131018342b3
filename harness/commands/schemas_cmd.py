"""`servecheck schemas ...`: list, show and validate against the project's schemas."""

import typer

app = typer.Typer(help="Inspect the JSON Schemas and validate payloads against them.", no_args_is_help=True)
