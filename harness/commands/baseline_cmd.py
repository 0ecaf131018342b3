"""`servecheck baseline RUN`: the known-failures file of a contract run, for `contract --baseline`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from harness.commands.output_file import write_output
from harness.targets import ConfigError


def baseline(
    run: Annotated[
        Path, typer.Argument(help="A contract run folder, its contract.json, or a baseline file.")
    ],
    output: Annotated[Path, typer.Option(help="Where to write the known failures (- for stdout).")] = Path(
        "servecheck-baseline.json"
    ),
) -> None:
    """Write the failure groups of a contract run as known failures: with `contract --baseline FILE`
    only failure groups not in it fail the run."""
    from harness.contract.baseline import read_baseline

    try:
        document = read_baseline(run, "RUN")
    except ConfigError as exc:
        print(f"servecheck baseline: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    if write_output(text, output, "baseline"):
        print(f"baseline: {output} ({len(document['failures'])} known failure groups)")
