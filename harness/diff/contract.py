"""What changed in the contract between two runs: checks, skipped families, observed response shapes."""

from __future__ import annotations

from typing import Any

from harness.contract.shapes import Shapes


def _statuses(contract: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (family, check): "failed" if tally["failed"] else "passed"
        for family, fam in contract.get("families", {}).items()
        for check, tally in fam.get("checks", {}).items()
    }


def _skipped(contract: dict[str, Any]) -> set[str]:
    return {name for name, fam in contract.get("families", {}).items() if fam.get("status") == "skipped"}


def check_changes(base: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    """Checks (as "family::check") newly failing or passing, families newly skipped or run again."""
    before, after = _statuses(base), _statuses(new)
    skipped_before, skipped_after = _skipped(base), _skipped(new)
    return {
        "newly_failing": sorted(
            f"{f}::{c}" for (f, c), s in after.items() if s == "failed" and before.get((f, c)) != "failed"
        ),
        "newly_passing": sorted(
            f"{f}::{c}" for (f, c), s in after.items() if s == "passed" and before.get((f, c)) == "failed"
        ),
        "newly_skipped": sorted(skipped_after - skipped_before),
        "no_longer_skipped": sorted(skipped_before - skipped_after),
    }


def _parent(path: str) -> str:
    return path[:-2] if path.endswith("[]") else path.rsplit(".", 1)[0]


def _new_types(before: list[str], after: list[str]) -> list[str]:
    """Types seen now that were never seen before; an integer where numbers were seen is no change."""
    allowed = set(before) | ({"integer"} if "number" in before else set())
    return sorted(set(after) - allowed)


def shape_drift(base: dict[str, Shapes], new: dict[str, Shapes]) -> list[dict[str, Any]]:
    """Per family present in both runs: fields added or removed, types changed, enum values new.

    Each change is {"family", "path", "kind", "detail", "breaking"}; a removed field or a type a
    client never saw before breaks clients, added fields and new enum values are reported only.
    Below a removed or added field, its own sub-fields are not listed again."""
    changes: list[dict[str, Any]] = []
    for family in sorted(set(base) & set(new)):
        before, after = base[family], new[family]
        removed = set(before) - set(after)
        added = set(after) - set(before)

        def add(path: str, kind: str, detail: str, breaking: bool, fam: str = family) -> None:
            changes.append(
                {"family": fam, "path": path, "kind": kind, "detail": detail, "breaking": breaking}
            )

        for path in sorted(removed):
            if _parent(path) not in removed:
                add(path, "removed", f"was {'|'.join(before[path]['types'])}", True)
        for path in sorted(added):
            if _parent(path) not in added:
                add(path, "added", "|".join(after[path]["types"]), False)
        for path in sorted(set(before) & set(after)):
            was, now = before[path], after[path]
            fresh = _new_types(was["types"], now["types"])
            if fresh:
                add(path, "type_changed", f"{'|'.join(was['types'])} -> {'|'.join(now['types'])}", True)
            if was["values"] and now["values"]:
                values = sorted(set(now["values"]) - set(was["values"]))
                if values:
                    add(path, "enum_values_new", ", ".join(values), False)
    return changes
