"""`servecheck contract`: property-based contract tests against the embedded mock or a live endpoint."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console

from harness.contract.config import OPTIONS, ContractConfig
from harness.interrupt import EXIT_CODES, signal_name, sigterm_as_interrupt
from harness.options import typer_command
from harness.runs import layout
from harness.targets import ConfigError


def _contract(values: dict[str, Any]) -> None:
    # The engine (generators, checks, clients: about a second of imports) loads for this command only,
    # not for every `servecheck` process (the mock a load run starts, `servecheck report`, ...).
    from harness.wire.client import TargetUnreachable

    console = Console(stderr=False, highlight=False)
    config = ContractConfig.from_options(values)
    try:
        config.validate()
        with sigterm_as_interrupt():
            code = _run(config, console)
    except (ConfigError, TargetUnreachable) as exc:
        print(f"servecheck contract: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt as stop:  # before the engine ran, or while the reports were being written
        print("servecheck contract: interrupted", file=sys.stderr)
        code = EXIT_CODES[signal_name(stop)]
    raise typer.Exit(code)


contract = typer_command(
    OPTIONS,
    "contract",
    _contract,
    "Test that an endpoint honours the OpenAI / Databricks contract; exit 1 on any violation.",
)


def _run(config: ContractConfig, console: Console) -> int:
    from harness.contract.baseline import known_signatures, read_baseline
    from harness.contract.engine import ContractEngine
    from harness.contract.target import connect
    from harness.report.console import ContractConsole
    from harness.report.run_files import run_folder_handlers
    from harness.runs.rundir import check_writable, default_run_dir
    from harness.runs.store import flags_of, write_run_json

    if config.out:
        check_writable(config.out, "--out", folder=True)
    if config.junit:
        check_writable(config.junit, "--junit", folder=False)
    known = read_baseline(config.baseline) if config.baseline else None
    with connect(config) as (target, client, found):
        where = "the embedded mock" if target.embedded else target.base_url
        console.print(f"servecheck contract: {where} ({target.api}), seed {config.seed}")
        if found.discovered:
            picked = ", ".join(f"{kind} {found.models[kind]}" for kind in found.discovered)
            console.print(f"models discovered from the target's list: {picked}")
        secrets = [target.token] if target.token else []
        run_dir = config.out or default_run_dir("contract", target.base_url)
        write_run_json(run_dir, "contract", target.describe(), flags_of(config), secrets)
        engine = ContractEngine(config, target, client, known_signatures(known) if known else frozenset())
        # The run's files first, then the summary: what the console says is already on disk.
        result = engine.run([*run_folder_handlers(run_dir, secrets, config.junit), ContractConsole(console)])
    console.print(f"results: {run_dir / layout.CONTRACT}")
    if result.signal:
        return EXIT_CODES[result.signal]
    if result.verdict == "untested" and not result.partial:
        print(f"servecheck contract: error: nothing was tested ({result.skip_reasons()})", file=sys.stderr)
        return 2
    if result.verdict == "partial":  # nothing failed, but not everything was judged: not a pass
        print(
            f"servecheck contract: partial: {result.stop_reason}; not every family was judged",
            file=sys.stderr,
        )
        return 2
    return 1 if result.failed else 0
