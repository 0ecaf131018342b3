"""The Markdown summary of a run, fit for a pull-request comment: verdicts, key percentiles, failing
checks linking to their anchors in the HTML report (when its file name is given)."""

from __future__ import annotations

from typing import Any

from harness.report.view import run_view
from harness.runs.metrics import PERCENTILES, TIMED
from harness.runs.read import RunData

KEY_METRICS = {m.key for m in TIMED if m.slo}  # the latencies an objective may name
ICON = {"pass": "✅", "fail": "❌"}


def _cell(text: object) -> str:
    # Run data is hostile: keep it from breaking the table or injecting markup.
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _code(text: object) -> str:
    return "`" + str(text).replace("`", "'").replace("\n", " ") + "`"


def _contract(view: dict[str, Any], html: str) -> list[str]:
    totals = view["totals"]
    lines = [
        f"### {ICON.get(view['verdict_class'], '⚪')} Contract: {view['verdict']}",
        "",
        f"{totals.get('passed', 0)} checks passed, {totals.get('failed', 0)} failed, "
        f"{totals.get('families_skipped', 0)} families skipped ({view['requests']} requests).",
        "",
    ]
    failures = [f for fam in view["families"] for f in fam["failures"]]
    if failures:
        lines += ["| | code | family | check | seen | message | path |", "|---|---|---|---|---:|---|---|"]
        for f in failures:
            check = f"[{_cell(f.get('check'))}]({html}#{f['anchor']})" if html else _cell(f.get("check"))
            message = _cell(f.get("message", ""))
            lines.append(
                f"| {f['label']} | {_code(f.get('code', ''))} | {_cell(f.get('family'))} | {check} "
                f"| {f.get('count', 1)} | {message[:200]} | {_code(f.get('path', ''))} |"
            )
        lines.append("")
    for fam in view["families"]:
        for feature, seen in fam["unsupported"].items():
            lines.append(f"- unsupported in {fam['name']}: {_cell(feature)} ({seen.get('count')} declined)")
        for check, why in fam["unjudged"].items():
            lines.append(f"- not judged in {fam['name']}: {_code(check)}: {_cell(why)}")
    baseline = view["baseline"]
    if baseline:
        lines.append(
            f"- baseline: {baseline['new']} new failure groups, {baseline['known']} known, "
            f"{len(baseline['fixed'])} fixed or not seen again"
        )
    skipped = [fam for fam in view["families"] if fam["status"] == "skipped"]
    for fam in skipped:
        lines.append(f"- skipped {fam['name']}: {_cell(fam['reason'])}")
    return [*lines, ""] if skipped else lines


def _load(view: dict[str, Any]) -> list[str]:
    lines = [
        f"### {ICON[view['verdict_class']]} Load: {view['verdict']}",
        "",
        *(f"- ❌ {_cell(reason)}" for reason in view["reasons"]),
        *([""] if view["reasons"] else []),
        f"{view['requests']} requests, {view['error_rate'] * 100:.2f}% errors, {view['rps']:.2f} req/s, "
        f"{view['output_tokens_per_s']:.1f} output tokens/s.",
        "",
        "Settings: " + "; ".join(f"{name} {_cell(value)}" for name, value in view["settings"]) + ".",
        "",
        "| metric | p50 | p90 | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in view["metrics"]:
        if row["key"] in KEY_METRICS:
            stats = row["stats"]
            lines.append(
                f"| {row['name']} | " + " | ".join(f"{stats[f'p{q}']:.1f}" for q in PERCENTILES) + " |"
            )
    lines.append("")
    for slo in view["slo"]:
        observed = "n/a" if slo.get("observed") is None else f"{slo['observed']:.4g}"
        lines.append(
            f"- {'✅' if slo['passed'] else '❌'} SLO {_code(slo['objective'])}: observed {observed}"
        )
    if view["errors_by_kind"]:
        kinds = ", ".join(f"{_cell(k)} {n}" for k, n in view["errors_by_kind"].items())
        lines.append(f"- errors by kind: {kinds}")
    lines += [f"- {'⚠️ ' if kind == 'warning' else ''}{_cell(note)}" for kind, note in view["notes"]]
    return [*lines, ""]


def render_markdown(run: RunData, html_name: str = "") -> str:
    """The summary; failing checks link to `html_name#anchor` when the HTML report's name is given."""
    view = run_view(run)
    lines = [
        f"## {ICON[view['verdict']]} servecheck: {view['verdict'].upper()} ({' + '.join(view['kinds'])})",
        "",
    ]
    if view["partial_notes"]:
        lines += ["> **⚠️ PARTIAL RESULTS**", *(f"> - {_cell(note)}" for note in view["partial_notes"]), ""]
    lines += [
        f"Target {_cell(view['target'])}, started {view['started']}, schemas {_code(view['schemas'])}.",
        "",
    ]
    if view["contract"]:
        lines += _contract(view["contract"], html_name)
    if view["load"]:
        lines += _load(view["load"])
    return "\n".join(lines).rstrip() + "\n"
