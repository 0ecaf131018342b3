"""`servecheck load`: benchmark an endpoint (or the embedded mock) with Locust and judge SLOs.

Exit codes: 0 passed, 1 failed (no request succeeded, the error rate over --max-error-rate, or an
SLO failed), 2 a usage or configuration error (the target failed the pre-flight), 130 stopped by
Ctrl-C (SIGINT) and 143 by SIGTERM, with the partial results written when there were any.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from harness.interrupt import EXIT_CODES, signal_name
from harness.load.console import live_progress, print_results
from harness.load.options import (
    DEFAULT_INPUT_TOKENS,
    DEFAULT_MAX_ERROR_RATE,
    DEFAULT_MAX_REQUESTS,
    DEFAULT_OUTPUT_TOKENS,
)
from harness.load.runner import SCENARIOS, LoadConfig, LoadFailed, parse_duration, run_load
from harness.load.shapes import SHAPES
from harness.runs.rundir import check_writable, default_run_dir
from harness.runs.store import flags_of, write_run_json
from harness.targets import ConfigError, live_base_url
from harness.wire.client import TargetUnreachable
from harness.wire.preflight import Preflight
from harness.wire.redact import safe_url


def load(
    base_url: Annotated[
        str | None,
        typer.Option(
            help="Target (OpenAI: base URL .../v1; Databricks: workspace host). Default: "
            "$OPENAI_BASE_URL / $DATABRICKS_HOST, else the embedded mock (realistic profile)."
        ),
    ] = None,
    api: Annotated[str, typer.Option(help="openai or databricks")] = "openai",
    model: Annotated[
        str | None,
        typer.Option(help="Chat/completions model (Databricks: endpoint name). Default: discovered."),
    ] = None,
    embedding_model: Annotated[
        str | None, typer.Option(help="Embeddings model or endpoint. Default: discovered.")
    ] = None,
    token_env: Annotated[
        str | None,
        typer.Option(help="Variable holding the token (default OPENAI_API_KEY / DATABRICKS_TOKEN)."),
    ] = None,
    scenario: Annotated[str, typer.Option(help=f"One of {', '.join(SCENARIOS)}.")] = "chat-stream",
    users: Annotated[int, typer.Option(help="Concurrent users (open loop: arrival streams).")] = 4,
    spawn_rate: Annotated[
        float | None, typer.Option(help="Users started per second (default: all at once).")
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Open loop: requests per second in all.")] = None,
    arrivals: Annotated[str, typer.Option(help="Open-loop arrivals: poisson or constant.")] = "poisson",
    duration: Annotated[str, typer.Option(help="How long to run: 30s, 5m, 1h (at most 24h).")] = "60s",
    shape: Annotated[str, typer.Option(help=f"Load shape: {', '.join(SHAPES)}.")] = "fixed",
    processes: Annotated[int, typer.Option(help="Load-generating processes (Locust master + workers).")] = 1,
    slo: Annotated[str, typer.Option(help='Objectives, e.g. "p95_ttft_ms<=500,error_rate<=0.01".')] = "",
    validate_sample: Annotated[
        float, typer.Option(help="Share of responses validated against the schemas.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of prompts, arrivals and validation sampling.")] = 0,
    input_tokens: Annotated[
        str, typer.Option(help="Prompt tokens: N, uniform:LO,HI, normal:M,SD, lognormal:MED,S.")
    ] = DEFAULT_INPUT_TOKENS,
    output_tokens: Annotated[
        str, typer.Option(help="max_tokens per request, same forms.")
    ] = DEFAULT_OUTPUT_TOKENS,
    prompts: Annotated[
        Path | None, typer.Option(help="JSONL file of request bodies instead of synthetic ones.")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Inputs per embeddings request.")] = 16,
    timeout: Annotated[float, typer.Option(help="Seconds one request (a whole stream) may take.")] = 60.0,
    max_requests: Annotated[
        int, typer.Option(help="Stop sending after this many requests.")
    ] = DEFAULT_MAX_REQUESTS,
    max_error_rate: Annotated[
        str, typer.Option(help="Error budget: a run with more failed requests fails (5%, 0.05).")
    ] = f"{DEFAULT_MAX_ERROR_RATE:.0%}",
    out: Annotated[
        Path | None, typer.Option(help="Run folder (default servecheck-runs/<time>-load-<target>).")
    ] = None,
) -> None:
    """Load-test an LLM endpoint: latency, TTFT, ITL, TPOT, tokens/s, errors by kind, SLO verdicts."""
    console = Console(highlight=False)
    try:
        config = LoadConfig(
            base_url=base_url,
            api=api,
            model=model,
            embedding_model=embedding_model,
            token_env=token_env,
            scenario=scenario,
            users=users,
            spawn_rate=spawn_rate,
            rate=rate,
            arrivals=arrivals,
            duration_s=parse_duration(duration),
            shape=shape,
            processes=processes,
            slo=slo,
            validate_sample=validate_sample,
            seed=seed,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            prompts=prompts,
            batch_size=batch_size,
            timeout=timeout,
            max_requests=max_requests,
            max_error_rate=parse_rate(max_error_rate, "--max-error-rate"),
            out=out,
        )
        config.validate()
        code = _run(config, console)
    except (ConfigError, LoadFailed, TargetUnreachable) as exc:
        print(f"servecheck load: error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt as stop:  # before Locust ran, or a second signal while it was stopping
        print("servecheck load: interrupted", file=sys.stderr)
        code = EXIT_CODES[signal_name(stop)]
    raise typer.Exit(code)


def parse_rate(text: str, flag: str) -> float:
    """A share as "5%" or "0.05"; ConfigError otherwise."""
    try:
        value = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: give a share such as 5% or 0.05") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{flag} {text!r}: must be between 0% and 100%")
    return value


def _run(config: LoadConfig, console: Console) -> int:
    url = live_base_url(config.base_url, config.api)
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
    if url and not os.environ.get(config.token_var):
        console.print(f"[yellow]warning: ${config.token_var} is empty: requests go without a token[/]")

    def discovered(found: Preflight) -> None:
        if found.discovered:
            picked = ", ".join(f"{kind} {found.models[kind]}" for kind in found.discovered)
            console.print(f"models discovered from the target's list: {picked}")

    with live_progress(console, config.duration_s) as show:
        results = run_load(config, run_dir, show, discovered)
    print_results(console, results)
    console.print(f"results: {run_dir / 'load.json'} (Locust CSV: {run_dir / 'locust_stats.csv'})")
    if results["signal"]:
        return EXIT_CODES[results["signal"]]
    for reason in results["verdict_reasons"]:
        console.print(f"[bold red]FAILED[/]: {escape(reason)}")
    return 0 if results["verdict"] == "passed" else 1
