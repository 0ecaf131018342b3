"""The diff document rendered: a rich console table, Markdown for a pull request, an HTML page."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from harness.diff.load import STATS
from harness.render.figures import metric_label, overlaid_cdfs
from harness.render.html import Section, fragment, plot_div, render_page

CHECK_LISTS = ("newly_failing", "newly_passing", "newly_skipped", "no_longer_skipped")
TESTS = {
    "mann-whitney": "U test",
    "percentile delta": "pct delta",
    "rate delta": "delta",
    "two proportions": "z test",
}
COLOURS = {"regression": "red", "improvement": "green", "unchanged": "", "not significant": "dim"}


def _pct(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.2f} pt" if metric == "error_rate" else f"{value:+.1%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}" if abs(value) < 1 else f"{value:,.1f}"


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _test(row: dict[str, Any]) -> str:
    return TESTS[row["test"]] + ("" if row["p_value"] is None else f" p={row['p_value']:.2g}")


def load_rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """One flat row of strings per metric and statistic, shared by every output."""
    rows = []
    for row in doc.get("load") or []:
        for stat, change in row["change"].items():
            rows.append(
                {
                    "metric": row["metric"],
                    "stat": stat,
                    "base": _num(row["base"].get(stat)),
                    "new": _num(row["new"].get(stat)),
                    "change": _pct(change, row["metric"]),
                    "test": _test(row),
                    "verdict": row["verdict"],
                }
            )
    return rows


def verdict(doc: dict[str, Any]) -> str:
    return "fail" if doc["triggered"] else "pass"


def print_console(console: Console, doc: dict[str, Any]) -> None:
    console.print(f"servecheck diff: {doc['base']} -> {doc['new']}")
    contract = doc.get("contract")
    if contract:
        for name in CHECK_LISTS:
            items = contract["checks"][name]
            console.print(
                f"{name.replace('_', ' ')}: {len(items)}" + (f"  {', '.join(items)}" if items else "")
            )
        if contract["shapes"]:
            table = Table("family", "change", "detail", "breaking", title="response shape drift")
            table.add_column("path", overflow="fold", ratio=1)
            for c in contract["shapes"]:
                table.add_row(c["family"], c["kind"], c["detail"], _yes(c["breaking"]), c["path"])
            console.print(table)
        else:
            console.print("response shape drift: none")
    if doc.get("load"):
        # one row per metric so it fits 80 columns; the Markdown, HTML and JSON outputs add the values
        table = Table("metric", *(f"{stat} Δ" for stat in STATS), "test", "verdict", title="load")
        for row in doc["load"]:
            changes = [_pct(row["change"].get(stat), row["metric"]) for stat in STATS]
            table.add_row(
                row["metric"], *changes, _test(row), row["verdict"], style=COLOURS[row["verdict"]] or None
            )
        console.print(table)
    for note in doc["notes"]:
        console.print(f"note: {note}")
    for hit in doc["triggered"]:
        console.print(f"[red]FAIL[/red] {hit}")
    if doc["fail_on"] and not doc["triggered"]:
        console.print(f"no --fail-on condition holds ({', '.join(doc['fail_on'])})")


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"## servecheck diff: {'FAIL' if doc['triggered'] else 'PASS'}",
        "",
        f"`{doc['base']}` -> `{doc['new']}`",
        "",
    ]
    lines += [f"- **{hit}**" for hit in doc["triggered"]]
    contract = doc.get("contract")
    if contract:
        lines += ["", "### Contract", ""]
        for name in CHECK_LISTS:
            items = contract["checks"][name]
            lines.append(
                f"- {name.replace('_', ' ')}: {len(items)}"
                + (f" ({', '.join(f'`{i}`' for i in items)})" if items else "")
            )
        if contract["shapes"]:
            lines += ["", "| family | path | change | detail | breaking |", "|---|---|---|---|---|"]
            lines += [
                f"| {c['family']} | `{c['path']}` | {c['kind']} | {c['detail']} | {_yes(c['breaking'])} |"
                for c in contract["shapes"]
            ]
    rows = load_rows(doc)
    if rows:
        lines += [
            "",
            "### Load",
            "",
            "| metric | stat | base | new | change | test | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(r.values()) + " |" for r in rows]
    lines += [f"\n_note: {note}_" for note in doc["notes"]]
    return "\n".join(lines) + "\n"


def html(doc: dict[str, Any]) -> str:
    sections = [Section("Verdict", fragment("diff.html.j2", part="verdict", doc=doc))]
    if doc.get("contract"):
        sections.append(
            Section("Contract", fragment("diff.html.j2", part="contract", doc=doc, lists=CHECK_LISTS))
        )
    if doc.get("load"):
        sections.append(Section("Load", fragment("diff.html.j2", part="load", doc=doc, rows=load_rows(doc))))
    cdfs = doc.get("load_cdfs") or {}
    for metric, curves in cdfs.items():
        figure = overlaid_cdfs(
            metric, {f"base {doc['base']}": curves["base"], f"new {doc['new']}": curves["new"]}
        )
        sections.append(Section(f"{metric_label(metric)} CDF", plot_div(figure, f"plot-diff-{metric}")))
    return render_page(
        "servecheck diff",
        sections,
        verdict=verdict(doc),
        subtitle=f"{doc['base']} -> {doc['new']}",
        plots=bool(cdfs),
    )
