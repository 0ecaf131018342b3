"""The terminal side of a load run: a live progress line while it runs, tables at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.load.sweep import curve
from harness.runs.load_notes import load_notes
from harness.runs.metrics import DISTRIBUTIONS, SUMMARY


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def _progress_text(line: dict[str, Any], duration_s: int) -> Text:
    return Text(
        f"{line['t']:>5.0f}/{duration_s}s  users {line['users']:>4}  requests {line['requests']:>7,}"
        f"  errors {line['errors']:>5,}  {line['rps']:>7.1f} req/s  {line['output_tokens_per_s']:>8.1f} tok/s"
        f"  latency p50 {_num(line['p50_latency_ms'], 0)} ms  TTFT p50 {_num(line['p50_ttft_ms'], 0)}"
        f" p95 {_num(line['p95_ttft_ms'], 0)} ms"
        + (f"  not sent {line['not_sent']:,}" if line["not_sent"] else "")
    )


@contextmanager
def live_progress(console: Console, duration_s: int) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Yield a callback for live lines: redrawn in place on a terminal, one line per 10 s otherwise."""
    if console.is_terminal:
        with Live(
            Text("starting Locust ..."), console=console, refresh_per_second=4, transient=False
        ) as live:
            yield lambda line: live.update(_progress_text(line, duration_s))
        return
    last = [-10.0]

    def show(line: dict[str, Any]) -> None:
        if line["t"] - last[0] >= 10:
            last[0] = line["t"]
            console.print(_progress_text(line, duration_s))

    yield show


def print_results(console: Console, results: dict[str, Any]) -> None:
    table = Table(title=f"servecheck load: {escape(results['config']['host'])}", title_justify="left")
    table.add_column("metric")
    for stat in SUMMARY:
        table.add_column(stat, justify="right")
    for metric in DISTRIBUTIONS.values():
        summary = results["metrics"][metric.key]
        if summary["count"]:
            table.add_row(metric.label, *(_num(summary[stat]) for stat in SUMMARY))
    console.print(table)
    sources = ", ".join(f"{n:,} from {src}" for src, n in results["token_source"].items()) or "none"
    console.print(
        f"requests {results['requests']:,}  errors {results['errors']:,}"
        f" ({_num((results['error_rate'] or 0) * 100, 2)}%)  {results['rps']:.2f} successful req/s"
        f"  {results['output_tokens_per_s']:.1f} output tok/s  token counts: {sources}"
        f"  validated {results['validated']:,}"
    )
    if len(results["scenarios"]) > 1:
        _scenarios(console, results["scenarios"])
    if results["errors_by_kind"]:
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(results["errors_by_kind"].items()))
        console.print(f"[red]errors by kind:[/] {escape(kinds)}")
        for kind, samples in results["error_samples"].items():
            for sample in samples:
                console.print(f"  {escape(kind)}: {escape(sample)}")
    if results["open_loop"]:
        lag = results["open_loop"]["send_lag_ms"]
        plan = results["config"]["open_loop"]
        console.print(
            f"open loop: {plan['rate']:g} req/s {plan['arrivals']} (burstiness {plan['burstiness']:g}),"
            f" not sent on time {results['open_loop']['not_sent']:,}, send lag p50 {_num(lag['p50'], 2)} ms"
            f" p99 {_num(lag['p99'], 2)} ms"
        )
    if "phases" in results:
        _phases(console, results)
    for kind, note in load_notes(results):
        console.print(f"[yellow]{escape(note)}[/]" if kind == "warning" else escape(note))
    for verdict in results["slo"]:
        mark = "[green]pass[/]" if verdict["passed"] else "[bold red]FAIL[/]"
        console.print(f"SLO {mark} {escape(verdict['objective'])} (observed {_num(verdict['observed'], 3)})")
    if not results["slo"]:
        console.print("no SLOs set (--slo)")
    budget = results["error_budget"]
    mark = "[green]pass[/]" if budget["passed"] else "[bold red]FAIL[/]"
    console.print(
        f"error budget {mark}: {_num((budget['error_rate'] or 0) * 100, 2)}% failed,"
        f" at most {_num(budget['max_error_rate'] * 100, 2)}% allowed (--max-error-rate)"
    )
    if results["partial"]:
        console.print(f"[yellow]partial results: {escape(results['stop_reason'])}[/]")


def _scenarios(console: Console, scenarios: dict[str, Any]) -> None:
    table = Table(title="by scenario", title_justify="left")
    for column in (
        "scenario",
        "requests",
        "errors",
        "req/s",
        "p50 latency",
        "p95 latency",
        "p50 TTFT",
        "p95 TTFT",
    ):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, block in scenarios.items():
        latency, ttft = block["metrics"]["latency_ms"], block["metrics"]["ttft_ms"]
        table.add_row(
            escape(name),
            _num(block["requests"]),
            _num(block["errors"]),
            _num(block["rps"], 2),
            _num(latency["p50"]),
            _num(latency["p95"]),
            _num(ttft["p50"]),
            _num(ttft["p95"]),
        )
    console.print(table)


def _phases(console: Console, results: dict[str, Any]) -> None:
    rows = results["phases"]
    table = Table(title=f"{results['config']['shape']} phases", title_justify="left")
    for column in ("users", "seconds", "req/s", "tok/s", "errors", "p50 latency", "p95 latency", "p50 TTFT"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["users"]),
            str(row["measured_s"]),
            _num(row["rps"], 2),
            _num(row["output_tokens_per_s"]),
            _num((row["error_rate"] or 0) * 100, 2) + "%",
            _num(row["p50_latency_ms"]),
            _num(row["p95_latency_ms"]),
            _num(row["p50_ttft_ms"]),
        )
    console.print(table)
    if "saturation" in results:
        _saturation(console, results["saturation"])
    if "knee" in results:
        for line in curve(rows, results["knee"]):
            console.print(Text(line))
        index = results["knee"]
        if index is not None:
            note = "; the last level: not saturated yet, sweep higher" if index == len(rows) - 1 else ""
            console.print(
                f"saturation knee: {rows[index]['users']} users (highest throughput / latency{note})"
            )


def _saturation(console: Console, found: dict[str, Any]) -> None:
    table = Table(title=f"rate sweep (probe: {_num(found['probe_rps'], 2)} req/s)", title_justify="left")
    for column in ("offered req/s", "achieved req/s", "p50 TTFT", "p95 TTFT", "kept up"):
        table.add_column(column, justify="right")
    for level in found["levels"]:
        kept = "yes" if level["kept_up"] else "no" if level["ran"] else "not run"
        table.add_row(
            _num(level["offered_rps"], 2),
            _num(level["achieved_rps"], 2),
            _num(level["p50_ttft_ms"]),
            _num(level["p95_ttft_ms"]),
            kept,
        )
    console.print(table)
    sustained = found["sustained_rps"]
    console.print(
        f"highest rate sustained: {sustained:.2f} req/s" if sustained else "no level kept up with its rate"
    )
