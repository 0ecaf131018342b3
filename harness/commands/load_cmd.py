"""`servecheck load`: benchmark an endpoint (or the embedded mock) with Locust and judge SLOs.

Exit codes: 0 passed, 1 failed (no request succeeded, the error rate over --max-error-rate, or an
SLO failed), 2 a usage or configuration error (the target failed the pre-flight), 130 stopped by
Ctrl-C (SIGINT) and 143 by SIGTERM, with the partial results written when there were any.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from harness.interrupt import EXIT_CODES, signal_name
from harness.load.console import live_progress, print_results
from harness.load.options import LOAD_OPTIONS, LoadConfig
from harness.load.runner import WEB_HOST, LoadFailed, run_load, run_worker
from harness.options import config_values, typer_command
from harness.runs import layout
from harness.runs.rundir import check_writable, default_run_dir
from harness.runs.store import flags_of, write_run_json
from harness.targets import ConfigError
from harness.wire.client import TargetUnreachable
from harness.wire.preflight import Preflight
from harness.wire.redact import safe_url


def _load(values: dict[str, Any]) -> None:
    console = Console(highlight=False)
    try:
        config = LoadConfig(**config_values(LOAD_OPTIONS, values))
        config.validate()
        code = _run(config, console)
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


def _worker(config: LoadConfig, console: Console) -> int:
    """`--worker`: send the load of a `--master` run; the master writes the results."""
    master = f"{config.master_host}:{config.master_port}"
    if config.out:
        check_writable(config.out, "--out", folder=True)
    out = config.out or default_run_dir("load-worker", master)
    console.print(f"servecheck load: worker of the master at {master}, scenario {config.scenario}")
    code = run_worker(config, out)
    if code:
        raise LoadFailed(f"the worker ended with exit code {code}: see {out / layout.LOCUST_LOG}")
    console.print(f"worker done: its samples are in {out} (the master wrote load.json)")
    return 0


def _run(config: LoadConfig, console: Console) -> int:
    if config.worker:
        return _worker(config, console)
    url = config.live_base_url()
    if config.out:
        check_writable(config.out, "--out", folder=True)
    run_dir = config.out or default_run_dir("load", url or "embedded-mock")
    models = {"chat": config.model, "embedding": config.embedding_model}
    target = {"base_url": url, "api": config.api, "embedded_mock": url is None, "models": models}
    write_run_json(run_dir, "load", target, flags_of(config))
    mode = f"open loop {config.rate:g} req/s ({config.arrivals})" if config.rate else f"{config.users} users"
    where = safe_url(url) if url else "the embedded mock"
    console.print(
        f"servecheck load: {where} ({config.api}), scenario {config.scenario}, {mode},"
        f" shape {config.shape}, {config.duration_s} s"
    )
    if config.master:
        console.print(
            f"Locust master on {config.master_bind_host}:{config.master_port}: waiting for"
            f" {config.expect_workers} worker(s) (servecheck load --worker --master-host THIS_HOST)"
        )
    if config.web:
        console.print(f"Locust's web UI, with LLM tabs: http://{WEB_HOST}:{config.web_port}/")
    if url and not os.environ.get(config.token_var):
        console.print(f"[yellow]warning: ${config.token_var} is empty: requests go without a token[/]")

    def discovered(found: Preflight) -> None:
        if found.discovered:
            picked = ", ".join(f"{kind} {found.models[kind]}" for kind in found.discovered)
            console.print(f"models discovered from the target's list: {picked}")

    with live_progress(console, config.duration_s) as show:
        results = run_load(config, run_dir, show, discovered)
    print_results(console, results)
    csv = f"{layout.LLM_STATS}, Locust's {layout.LOCUST_STATS}"
    console.print(f"results: {run_dir / layout.LOAD} (CSV: {csv} beside it)")
    if results["signal"]:
        return EXIT_CODES[results["signal"]]
    for reason in results["verdict_reasons"]:
        console.print(f"[bold red]FAILED[/]: {escape(reason)}")
    return 0 if results["verdict"] == "passed" else 1
