"""The schema diff as a console table, a JSON document and a Markdown summary."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.schemadiff.sets import SchemaChange, SchemaDiff

_SHORT = 60  # characters of an old/new value shown in the table and Markdown


def _value(value: Any) -> str:
    if value is None:
        return "-"
    text = _dumps(value)
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _dumps(value: Any, indent: int | None = None) -> str:
    # json, not orjson: documents may hold integers past 64 bits (the OpenAI spec does) and, read from
    # YAML, dates.
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def _whom(change: SchemaChange) -> str:
    return ", ".join(change.breaking_for) or "none"


def _verdict(diff: SchemaDiff) -> str:
    breaking = sum(1 for change in diff.changes if change.breaking_for)
    counted = f" in {diff.compared} compared" if diff.compared else ""
    found = f"{len(diff.changes)} change(s), {breaking} breaking" if diff.changes else "no changes"
    unjudged = f"; {len(diff.not_compared)} not compared" if diff.not_compared else ""
    return found + counted + unjudged


def _notes(diff: SchemaDiff) -> list[str]:
    """What the comparison did not judge, one line each: never left out in silence."""
    lines = [f"not compared: {what}: {why}" for what, why in diff.not_compared.items()]
    if diff.through_users:
        shared = ", ".join(diff.through_users)
        lines.append(f"compared through the schemas that $ref them (shared definitions): {shared}")
    return lines


def print_table(diff: SchemaDiff, old: str, new: str, console: Console) -> None:
    console.print(f"schemas diff {old} → {new}: {_verdict(diff)}", markup=False, soft_wrap=True)
    for line in _notes(diff):
        style = "yellow" if line.startswith("not compared") else None
        console.print(line, markup=False, style=style, soft_wrap=True)
    changes = diff.changes
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


def to_json(diff: SchemaDiff, old: str, new: str) -> bytes:
    document = {
        "old": old,
        "new": new,
        "breaking": diff.breaking,
        "compared": diff.compared,
        "not_compared": diff.not_compared,
        "through_users": diff.through_users,
        "changes": [change.as_dict() for change in diff.changes],
    }
    return _dumps(document, indent=2).encode()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(diff: SchemaDiff, old: str, new: str) -> str:
    mark = "❌ breaking" if diff.breaking else "✅ not breaking"
    lines = [f"## Schema diff `{old}` → `{new}`", "", f"**{mark}**: {_verdict(diff)}", ""]
    lines += [f"- {_cell(line)}" for line in _notes(diff)]
    lines += [""] if _notes(diff) else []
    changes = diff.changes
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
