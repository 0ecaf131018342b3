"""What `servecheck load` runs once its options are read (harness/commands/load_cmd.py): one load run,
a worker of another host's master, or an SLO search. Imported by that command alone (Locust's side,
the runner, the mock's server are no business of other commands)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.interrupt import EXIT_CODES
from harness.load.console import live_progress, print_results
from harness.load.options import LoadConfig
from harness.load.runner import WEB_HOST, LoadFailed, run_load, run_worker, serve_load
from harness.load.slo_search import Search, Trial, firmness, search
from harness.runs import layout
from harness.runs.files import read_json, write_json
from harness.runs.read import read_samples
from harness.runs.rundir import check_writable, default_run_dir
from harness.runs.store import flags_of, write_run_json
from harness.wire.preflight import Preflight
from harness.wire.redact import safe_url


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


def _run_dir(config: LoadConfig, url: str | None) -> Path:
    """The run folder (--out, else a new one under servecheck-runs/), with its run.json written."""
    if config.out:
        check_writable(config.out, "--out", folder=True)
    run_dir = config.out or default_run_dir("load", url or "embedded-mock")
    models = {"chat": config.model, "embedding": config.embedding_model}
    target = {"base_url": url, "api": config.api, "embedded_mock": url is None, "models": models}
    write_run_json(run_dir, "load", target, flags_of(config))
    return run_dir


def run(config: LoadConfig, console: Console) -> int:
    if config.worker:
        return _worker(config, console)
    if config.slo_search:
        return _slo_search(config, console)
    url = config.live_base_url()
    run_dir = _run_dir(config, url)
    if config.serve:
        return _serve(config, run_dir, url, console)
    mode = f"open loop {config.rate:g} req/s ({config.arrivals})" if config.rate else f"{config.users} users"
    where = safe_url(url) if url else "the embedded mock"
    console.print(
        f"servecheck load: {where} ({config.api}), scenario {config.scenario}, {mode},"
        f" shape {config.shape}, {config.duration_s} s"
    )
    _say_roles(config, url, console)
    with live_progress(console, config.duration_s) as show:
        results = run_load(config, run_dir, show, _discovered(console))
    print_results(console, results)
    csv = f"{layout.LLM_STATS}, Locust's {layout.LOCUST_STATS}"
    console.print(f"results: {run_dir / layout.LOAD} (CSV: {csv} beside it)")
    if results["signal"]:
        return EXIT_CODES[results["signal"]]
    return _verdict(results, console)


def _say_roles(config: LoadConfig, url: str | None, console: Console) -> None:
    if config.master:
        console.print(
            f"Locust master on {config.master_bind_host}:{config.master_port}: waiting for"
            f" {config.expect_workers} worker(s) (servecheck load --worker --master-host THIS_HOST)"
        )
    if config.shows_web:
        console.print(f"Locust's web UI, with LLM tabs: http://{WEB_HOST}:{config.web_port}/")
    if url and not os.environ.get(config.token_var):
        console.print(f"[yellow]warning: ${config.token_var} is empty: requests go without a token[/]")


def _verdict(results: dict[str, Any], console: Console) -> int:
    """Print why a run failed; its exit code (0 passed, 1 failed)."""
    for reason in results["verdict_reasons"]:
        console.print(f"[bold red]FAILED[/]: {escape(reason)}")
    return 0 if results["verdict"] == "passed" else 1


def _serve(config: LoadConfig, run_dir: Path, url: str | None, console: Console) -> int:
    """--serve: the web UI starts each test; each is summed up here as its folder is written. Ends
    on a signal, with its exit code (the tests' verdicts are in their load.json)."""
    tests = run_dir / layout.TESTS
    console.print(
        f"servecheck load --serve: {safe_url(url) if url else 'the embedded mock'} ({config.api}),"
        f" scenario {config.scenario}; start tests from the web UI (each at most its run time, default"
        f" {config.duration_s} s); each is a run folder in {tests}. Ctrl-C ends."
    )
    _say_roles(config, url, console)

    def finished(folder: Path) -> None:
        results = read_json(folder / layout.LOAD) or {}
        print_results(console, results)
        mark = "[green]passed[/]" if results["verdict"] == "passed" else "[bold red]failed[/]"
        console.print(f"test {folder.name}: {mark} ({results['stop_reason']}): {folder / layout.LOAD}")
        _verdict(results, console)

    stop_signal = serve_load(config, run_dir, finished, _discovered(console))
    return EXIT_CODES[stop_signal]


def _discovered(console: Console) -> Callable[[Preflight], None]:
    def discovered(found: Preflight) -> None:
        if found.discovered:
            picked = ", ".join(f"{kind} {found.models[kind]}" for kind in found.discovered)
            console.print(f"models discovered from the target's list: {picked}")

    return discovered


class _Stopped(Exception):
    """A trial of the SLO search was stopped by a signal: the search ends there."""

    def __init__(self, signal: str) -> None:
        self.signal = signal


def _slo_search(config: LoadConfig, console: Console) -> int:
    """`--slo-search`: trial runs in RUN_DIR/trials/, bisected (harness/load/slo_search.py); load.json
    is the best trial's results with the search's `slo_search`."""
    url = config.live_base_url()
    run_dir = _run_dir(config, url)
    kind, unit = config.slo_search, "req/s" if config.slo_search == "rate" else "users"
    console.print(
        f"servecheck load: SLO search by {kind} on {safe_url(url) if url else 'the embedded mock'},"
        f" at most {config.search_steps} trials of {config.duration_s} s: {escape(config.slo)}"
    )
    numbers = itertools.count(1)

    def run(name: str, trial_config: LoadConfig) -> dict[str, Any]:
        results = run_load(
            trial_config, run_dir / layout.TRIALS / name, lambda line: None, _discovered(console)
        )
        if results["signal"]:
            raise _Stopped(results["signal"])
        return results

    def probe() -> float:
        closed = replace(config, slo_search="", slo="", out=None)
        rps = run("00-probe", closed)["rps"]
        console.print(f"probe: {config.users} users closed loop served {rps:.2f} req/s")
        return rps

    def trial(value: float) -> Trial:
        n = next(numbers)
        load = {"rate": value, "users": config.users} if kind == "rate" else {"users": int(value)}
        name = f"{n:02d}-{kind}-{value:g}"
        results = run(name, replace(config, slo_search="", out=None, **load))
        # a uniform sample of at most Samples.KEPT requests: enough for a percentile's interval
        samples = read_samples(sorted((run_dir / layout.TRIALS / name).glob(layout.SAMPLES_GLOB))).kept
        objectives = firmness(config.slo, results, samples)
        passed = results["verdict"] == "passed"
        said = "; ".join(
            f"{o['objective']} {'ok' if o['passed'] else 'FAILED'} ({_observed(o)}, {o['confidence']})"
            for o in objectives
        )
        mark = "[green]pass[/]" if passed else "[bold red]FAIL[/]"
        console.print(f"trial {n}: {value:g} {unit}: {mark} {escape(said)}")
        for reason in results["verdict_reasons"]:
            console.print(f"  {escape(reason)}")
        return Trial(value, passed, results, objectives)

    stop_signal = ""
    found = Search(kind)
    try:
        found = search(
            kind, config.users, config.search_steps, trial, probe if kind == "rate" else None, found
        )
    except _Stopped as stopped:
        stop_signal = stopped.signal
    summary = found.to_dict()
    best = found.best
    base = best.results if best else (found.trials[-1].results if found.trials else None)
    if base is None:
        console.print("[bold red]FAILED[/]: the search ran no trial (the probe served nothing)")
        return EXIT_CODES[stop_signal] if stop_signal else 1
    write_json(run_dir / layout.LOAD, {**base, "slo_search": summary, "signal": stop_signal})
    if best:
        bracket = f", {summary['first_failure']:g} failed" if summary["first_failure"] is not None else ""
        console.print(
            f"answer: {best.value:g} {unit} meets {escape(config.slo)} (highest passing{bracket});"
            f" confidence {summary['confidence']}"
            + (
                f" ({', '.join(summary['uncertain_objectives'])} within their 95% intervals)"
                if summary["uncertain_objectives"]
                else ""
            )
        )
    else:
        console.print(f"[bold red]FAILED[/]: no {kind} tried meets {escape(config.slo)}")
    console.print(f"results: {run_dir / layout.LOAD} (each trial in {run_dir / layout.TRIALS})")
    if stop_signal:
        return EXIT_CODES[stop_signal]
    return 0 if best else 1


def _observed(objective: dict[str, Any]) -> str:
    observed = objective["observed"]
    text = "no data" if observed is None else f"{observed:.4g}"
    interval = objective["interval"]
    return text + (f", 95% {interval[0]:.4g}-{interval[1]:.4g}" if interval else "")
