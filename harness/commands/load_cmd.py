"""`servecheck load`: benchmark an endpoint (or the embedded mock) with Locust and judge SLOs.

Exit codes: 0 passed, 1 failed (no request succeeded, the error rate over --max-error-rate, or an
SLO failed), 2 a usage or configuration error (the target failed the pre-flight), 130 stopped by
Ctrl-C (SIGINT) and 143 by SIGTERM, with the partial results written when there were any.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console

from harness.interrupt import EXIT_CODES, signal_name
from harness.load.options import LOAD_OPTIONS, LoadConfig
from harness.options import config_values, typer_command
from harness.targets import ConfigError


def _load(values: dict[str, Any]) -> None:
    # the runner and Locust's side load for this command only, not for every `servecheck` process
    from harness.commands.load_run import run
    from harness.load.runner import LoadFailed
    from harness.wire.client import TargetUnreachable

    console = Console(highlight=False)
    try:
        config = LoadConfig(**config_values(LOAD_OPTIONS, values))
        config.validate()
        code = run(config, console)
    except (ConfigError, LoadFailed, TargetUnreachable) as exc:
        print(f"servecheck load: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt as stop:  # before Locust ran, or a second signal while it was stopping
        print("servecheck load: interrupted", file=sys.stderr)
        code = EXIT_CODES[signal_name(stop)]
    raise typer.Exit(code)


load = typer_command(
    LOAD_OPTIONS,
    "load",
    _load,
    "Load-test an LLM endpoint: latency, TTFT, ITL, TPOT, tokens/s, errors by kind, SLO verdicts.",
)
