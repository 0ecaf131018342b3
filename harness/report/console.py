"""The rich console side of a contract run, a handler of its events: a progress bar per family while
it runs, the summary table and every failure group at the end."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.contract.events import Event, FamilyStarted, Handler, RequestSent, RunFinished
from harness.contract.results import ContractResult, Failure

STATUS_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "unsupported": "yellow",
    "partial": "yellow",
}


class ContractConsole(Handler):
    """A bar per family as its requests go out; the summary once the run has finished."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def handle(self, event: Event) -> None:
        match event:
            case FamilyStarted(family, planned):
                self._tasks[family] = self._bar.add_task(family, total=planned)
            case RequestSent(family, done, planned):
                self._bar.update(self._tasks[family], completed=done, total=planned)
            case RunFinished(result):
                self._bar.stop()
                print_summary(self.console, result)

    def __enter__(self) -> ContractConsole:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def _label(failure: Failure) -> str:
    if failure.known:
        return "[yellow]KNOWN[/]"
    return "[bold red]FAIL[/]" if failure.status == "failed" else "[yellow]WARN[/]"


def print_summary(console: Console, result: ContractResult) -> None:
    table = Table(title="servecheck contract", title_justify="left")
    table.add_column("family")
    table.add_column("status")
    table.add_column("checks passed", justify="right")
    table.add_column("checks failed", justify="right")
    table.add_column("requests", justify="right")
    table.add_column("note")
    for name, fam in result.families.items():
        failed_checks = [c for c, t in fam.checks.items() if t.failed]
        table.add_row(
            name,
            f"[{STATUS_STYLE[fam.status]}]{fam.status}[/]",
            str(sum(1 for t in fam.checks.values() if not t.failed)),
            str(len(failed_checks)),
            str(fam.requests),
            escape(fam.reason or ", ".join(failed_checks)),
        )
    console.print(table)
    for fam in result.families.values():
        for feature, seen in fam.unsupported.items():
            console.print(
                f"[yellow]UNSUPPORTED[/] {fam.family} / {feature}: {seen.count} request(s) declined with "
                f"{seen.status}: {escape(seen.message[:200])} (--require {feature} makes this a failure)"
            )
        for check, why in fam.unjudged.items():
            console.print(f"[yellow]NOT JUDGED[/] {fam.family} / {check}: {escape(why)}")
        for failure in fam.failures:
            label = "minimal failing request" if failure.shrunk else "failing request"
            times = f" (x{failure.count})" if failure.count > 1 else ""
            console.print(
                f"{_label(failure)} {failure.code} {failure.family} / {failure.check}{times}: "
                f"{escape(failure.message)}"
            )
            console.print(
                f"  at {escape(failure.path)}; {label}{': ' + escape(failure.note) if failure.note else ''}"
            )
            console.print(f"  reproduce: {escape(failure.curl)}", soft_wrap=True)
    totals = result.totals()
    verdict = {
        "failed": "[bold red]FAILED[/]",
        "passed": "[bold green]PASSED[/]",
        "partial": "[bold yellow]PARTIAL[/]",
    }.get(result.verdict, "[bold yellow]NOTHING TESTED[/]")
    skipped = [n for n, f in result.families.items() if f.status == "skipped"]
    extras = [
        f"{totals['failure_groups']} failure groups" if totals["failure_groups"] else "",
        f"{totals['known_groups']} known (in the baseline)" if totals["known_groups"] else "",
        f"{totals['warning_groups']} warnings (above --level {result.level})"
        if totals["warning_groups"]
        else "",
        f"unsupported: {', '.join(totals['unsupported'])}" if totals["unsupported"] else "",
        f"families skipped: {', '.join(skipped)}" if skipped else "",
    ]
    console.print(
        f"{verdict}: {totals['passed']} checks passed, {totals['failed']} failed "
        f"({totals['evaluations']} evaluations)"
        + "".join(f", {extra}" for extra in extras if extra)
        + f"; {result.requests} requests in {result.elapsed:.1f} s"
    )
    if result.baseline:
        fixed = result.baseline["fixed"]
        console.print(
            f"baseline {escape(result.baseline['file'])}: {result.baseline['new']} new failure groups, "
            f"{result.baseline['known']} known, {len(fixed)} fixed or not seen again"
        )
        for signature in fixed:
            console.print(f"  [green]FIXED[/] {escape(signature)}")
    if result.partial:
        console.print(f"[yellow]partial run: {escape(result.stop_reason)}[/]")
