"""`servecheck contract`: property-based contract tests against the embedded mock or a live endpoint."""

from __future__ import annotations

import random
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.contract.baseline import known_signatures, read_baseline
from harness.contract.config import FAMILIES, ContractConfig, parse_names
from harness.contract.engine import ContractEngine
from harness.contract.target import connect
from harness.families.features import FEATURES
from harness.interrupt import EXIT_CODES, signal_name, sigterm_as_interrupt
from harness.levels import DEFAULT_LEVEL
from harness.report.console import ContractConsole
from harness.report.findings_jsonl import FindingsLog
from harness.report.run_files import RunFiles
from harness.runs import layout
from harness.runs.rundir import check_writable, default_run_dir
from harness.runs.store import flags_of, write_run_json
from harness.targets import ConfigError
from harness.wire.client import TargetUnreachable


def contract(
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Target base URL (OpenAI: the SDK's base URL, e.g. .../v1; "
            "Databricks: the workspace host). Default: $OPENAI_BASE_URL / "
            "$DATABRICKS_HOST, else the embedded mock."
        ),
    ] = None,
    api: Annotated[str, typer.Option(help="openai or databricks")] = "openai",
    model: Annotated[str | None, typer.Option(help="Chat model (Databricks: serving endpoint name).")] = None,
    embedding_model: Annotated[str | None, typer.Option(help="Embedding model or endpoint.")] = None,
    reasoning_model: Annotated[str | None, typer.Option(help="Reasoning model or endpoint.")] = None,
    token_env: Annotated[
        str | None,
        typer.Option(help="Variable holding the token (default OPENAI_API_KEY / DATABRICKS_TOKEN)."),
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="The endpoint takes no token: skip the auth checks.")
    ] = False,
    families: Annotated[str, typer.Option(help="Comma-separated families to test.")] = ",".join(FAMILIES),
    examples: Annotated[int, typer.Option(help="Generated requests per family.")] = 10,
    seed: Annotated[int | None, typer.Option(help="Hypothesis seed; the same seed reproduces a run.")] = None,
    max_requests: Annotated[int | None, typer.Option(help="Stop after this many requests in all.")] = None,
    rate: Annotated[float | None, typer.Option(help="At most this many requests per second.")] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 4,
    timeout: Annotated[
        float, typer.Option(help="Seconds a request (a whole stream included) may take.")
    ] = 30.0,
    level: Annotated[
        str, typer.Option(help="Checks that fail the run: spec, compat (spec + compat) or strict (all).")
    ] = DEFAULT_LEVEL,
    require: Annotated[
        str,
        typer.Option(
            help=f"Features that must be supported: a clean refusal fails ({', '.join(FEATURES)}).",
            metavar="F,...",
        ),
    ] = "",
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Known failures (a contract.json or `servecheck baseline` file): only new ones fail."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default servecheck-runs/<time>-contract-<host>).")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option(help="Also write JUnit XML here (always written into --out).")
    ] = None,
) -> None:
    """Test that an endpoint honours the OpenAI / Databricks contract; exit 1 on any violation."""
    console = Console(stderr=False, highlight=False)
    config = ContractConfig(
        base_url=base_url,
        api=api,
        model=model,
        embedding_model=embedding_model,
        reasoning_model=reasoning_model,
        token_env=token_env,
        no_auth=no_auth,
        families=parse_names(families),
        examples=examples,
        seed=random.randrange(2**32) if seed is None else seed,
        max_requests=max_requests,
        rate=rate,
        concurrency=concurrency,
        timeout=timeout,
        level=level,
        require=parse_names(require),
        baseline=baseline,
        out=out,
        junit=junit,
    )
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


def _run(config: ContractConfig, console: Console) -> int:
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
        handlers = [
            FindingsLog(run_dir / layout.FINDINGS, secrets),
            RunFiles(run_dir, secrets, config.junit),
            ContractConsole(console),
        ]
        with ExitStack() as stack:
            for handler in handlers:
                stack.enter_context(handler)
            result = engine.run(handlers)
    console.print(f"results: {run_dir / layout.CONTRACT}")
    if result.signal:
        return EXIT_CODES[result.signal]
    if result.verdict == "untested" and not result.partial:
        print(f"servecheck contract: error: nothing was tested ({result.skip_reasons()})", file=sys.stderr)
        return 2
    return 1 if result.failed else 0
