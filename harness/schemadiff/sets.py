"""Compare two whole schema sets, schema by schema (matched by file name), and say whom each change breaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from harness.schemadiff.classify import Direction, breaking_for, direction
from harness.schemadiff.compare import compare


@dataclass(frozen=True)
class SchemaChange:
    schema: str
    direction: Direction
    path: str
    category: str
    breaking_for: tuple[str, ...]
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "breaking_for": list(self.breaking_for)}


def diff_sets(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[SchemaChange]:
    """Every change between two sets of resolved schemas, ordered by schema then path.

    Shared definition files (no direction) are skipped: their changes show in the schemas using them.
    """
    found: list[SchemaChange] = []
    for name in sorted(old.keys() | new.keys()):
        way = direction(name)
        if way is None:
            continue
        if name not in new:
            # The payload family is gone: clients can no longer send or expect it.
            found.append(SchemaChange(name, way, "$", "schema_removed", ("clients",), old[name], None))
        elif name not in old:
            found.append(SchemaChange(name, way, "$", "schema_added", (), None, new[name]))
        else:
            found += [
                SchemaChange(name, way, c.path, c.category, breaking_for(c.effect, way), c.old, c.new)
                for c in compare(old[name], new[name])
            ]
    return found


def is_breaking(changes: list[SchemaChange]) -> bool:
    return any(change.breaking_for for change in changes)
