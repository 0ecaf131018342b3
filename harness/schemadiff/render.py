"""The schema diff as a console table, a JSON document and a Markdown summary."""

from __future__ import annotations

from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from harness.schemadiff.sets import SchemaChange, is_breaking

_SHORT = 60  # characters of an old/new value shown in the table and Markdown


def _value(value: Any) -> str:
    if value is None:
        return "-"
    text = orjson.dumps(value).decode()
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _whom(change: SchemaChange) -> str:
    return ", ".join(change.breaking_for) or "none"


def _verdict(changes: list[SchemaChange]) -> str:
    breaking = sum(1 for change in changes if change.breaking_for)
    if not changes:
        return "no changes"
    return f"{len(changes)} change(s), {breaking} breaking"


def print_table(changes: list[SchemaChange], old: str, new: str, console: Console) -> None:
    console.print(f"schemas diff {old} → {new}: {_verdict(changes)}")
    if not changes:
        return
    table = Table("schema", "path", "category", "breaking for", "old → new")
    table.columns[1].overflow = "fold"  # a long path folds rather than vanishes
    table.columns[1].min_width = 24
    for change in changes:
        style = "red" if change.breaking_for else None
        table.add_row(
            change.schema,
            change.path,
            change.category,
            _whom(change),
            f"{_value(change.old)} → {_value(change.new)}",
            style=style,
        )
    console.print(table)


def to_json(changes: list[SchemaChange], old: str, new: str) -> bytes:
    document = {
        "old": old,
        "new": new,
        "breaking": is_breaking(changes),
        "changes": [change.as_dict() for change in changes],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(changes: list[SchemaChange], old: str, new: str) -> str:
    mark = "❌ breaking" if is_breaking(changes) else "✅ not breaking"
    lines = [f"## Schema diff `{old}` → `{new}`", "", f"**{mark}**: {_verdict(changes)}", ""]
    if changes:
        lines += ["| schema | path | category | breaking for | old → new |", "|---|---|---|---|---|"]
        for change in changes:
            cells = [
                change.schema,
                f"`{change.path}`",
                change.category,
                f"**{_whom(change)}**" if change.breaking_for else "none",
                f"`{_value(change.old)}` → `{_value(change.new)}`",
            ]
            lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
