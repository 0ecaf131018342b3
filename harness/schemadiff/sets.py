"""Compare two whole schema sets, schema by schema (matched by file name), and say whom each change breaks.

Every schema is compared, except a shared definition of unknown direction that other schemas of the
set `$ref`: its changes show, at their place, in the schemas that use it, and the result names it.
Whatever could not be compared (a file that did not load, on either side) is listed with its reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from harness.schemadiff.classify import Direction, breaking_for, direction
from harness.schemadiff.compare import compare
from harness.schemadiff.load import SchemaSet

FailOn = Literal["breaking", "any"]
FAIL_ON: tuple[FailOn, ...] = ("breaking", "any")


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


@dataclass
class SchemaDiff:
    """The changes, and what the comparison did not judge and why."""

    changes: list[SchemaChange] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)  # what -> why
    through_users: list[str] = field(default_factory=list)  # shared definitions, seen in their users
    compared: int = 0  # schemas (or operations) compared

    @property
    def breaking(self) -> bool:
        return any(change.breaking_for for change in self.changes)

    def fails(self, fail_on: FailOn) -> bool:
        return self.breaking if fail_on == "breaking" else bool(self.changes)


def diff_sets(old: SchemaSet, new: SchemaSet, given: Direction | None = None) -> SchemaDiff:
    """Every change between two schema sets, ordered by schema then path."""
    result = SchemaDiff()
    for side, schemas in (("old", old), ("new", new)):
        for name, why in schemas.problems.items():
            result.not_compared[f"{name} ({side})"] = why
        for other in schemas.other_files:
            result.not_compared[f"{other} ({side})"] = "not a *.json schema file"
    shared = old.referenced() | new.referenced()
    for name in sorted(
        (old.resolved.keys() | new.resolved.keys()) - old.problems.keys() - new.problems.keys()
    ):
        way = direction(name, new.raw.get(name) or old.raw.get(name), given)
        if way == "unknown" and name in shared:
            result.through_users.append(name)
            continue
        result.compared += 1
        if name not in new.resolved:
            # The payload family is gone: clients can no longer send or expect it.
            result.changes.append(
                SchemaChange(name, way, "$", "schema_removed", ("clients",), old.resolved[name], None)
            )
        elif name not in old.resolved:
            result.changes.append(SchemaChange(name, way, "$", "schema_added", (), None, new.resolved[name]))
        else:
            result.changes += [
                SchemaChange(name, way, c.path, c.category, breaking_for(c.effect, way), c.old, c.new)
                for c in compare(old.resolved[name], new.resolved[name])
            ]
    return result
