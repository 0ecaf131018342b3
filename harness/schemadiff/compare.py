"""Walk two resolved schemas side by side and list every change with its effect on accepted payloads.

An effect says what happened to the set of valid instances: NARROWER (some payloads that were valid are
now rejected), WIDER (some that were rejected are now valid), BOTH (some of each, e.g. a type swapped),
NONE (no payload changes verdict). Whom an effect breaks depends on the schema's direction: classify.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from harness.schemas.registry import json_path


class Effect(Enum):
    NARROWER = "narrower"
    WIDER = "wider"
    BOTH = "both"
    NONE = "none"


@dataclass(frozen=True)
class Change:
    """One difference at `path` (a JSON path into the schema, like `$.properties.model.minLength`)."""

    path: str
    category: str
    effect: Effect
    old: Any
    new: Any


Location = tuple[str | int, ...]
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_COMPARED = frozenset(
    {"type", "enum", "const", "properties", "required", "additionalProperties", "format", "pattern", "items"}
    | {"anyOf", "oneOf", "allOf", *_LOWER_BOUNDS, *_UPPER_BOUNDS}
)
# Annotations: no effect on which payloads validate.
_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


def compare(old: Any, new: Any) -> list[Change]:
    """Every change from schema `old` to schema `new` (both resolved: no `$ref`)."""
    return list(_walk(old, new, ()))


def _walk(old: Any, new: Any, at: Location) -> Iterator[Change]:
    if old == new:
        return
    if not isinstance(old, dict) or not isinstance(new, dict):
        yield from _walk(_as_dict(old), _as_dict(new), at)
        return
    yield from _types(old, new, at)
    yield from _enum(old, new, at)
    yield from _properties(old, new, at)
    yield from _required(old, new, at)
    yield from _additional(old, new, at)
    yield from _bounds(old, new, at)
    for keyword in ("format", "pattern"):
        yield from _keyword(old, new, at, keyword)
    if "items" in old or "items" in new:  # absent items accept anything, like {}
        yield from _walk(old.get("items", {}), new.get("items", {}), (*at, "items"))
    for keyword in ("anyOf", "oneOf"):
        yield from _branches(old, new, at, keyword, added=Effect.WIDER, category="variant")
    yield from _branches(old, new, at, "allOf", added=Effect.NARROWER, category="subschema")
    yield from _unclassified(old, new, at)


def _unclassified(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    """Any other keyword that changed (not, if/then/else, multipleOf...): assume it breaks both ways."""
    for keyword in sorted((old.keys() | new.keys()) - _COMPARED - _ANNOTATIONS):
        if old.get(keyword) != new.get(keyword):
            yield Change(
                json_path([*at, keyword]), "keyword_changed", Effect.BOTH, old.get(keyword), new.get(keyword)
            )


def _as_dict(schema: Any) -> dict[str, Any]:
    """Boolean schemas as objects: true accepts everything ({}), false no type at all."""
    if schema is False:
        return {"type": []}
    return schema if isinstance(schema, dict) else {}


def _type_set(schema: dict[str, Any]) -> frozenset[str]:
    if "type" not in schema:
        return _ALL_TYPES
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    found = set(kinds)
    if "number" in found:  # every integer is a number
        found.add("integer")
    return frozenset(found)


def _types(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    before, after = _type_set(old), _type_set(new)
    if before == after:
        return
    if after < before:
        category, effect = "type_narrowed", Effect.NARROWER
    elif before < after:
        category, effect = "type_widened", Effect.WIDER
    else:
        category, effect = "type_changed", Effect.BOTH
    yield Change(json_path([*at, "type"]), category, effect, old.get("type"), new.get("type"))


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _allowed(schema: dict[str, Any]) -> dict[bytes, Any] | None:
    """The literal values a schema's enum/const allows, or None when it lists none."""
    if "const" in schema:
        return {_key(schema["const"]): schema["const"]}
    if "enum" in schema:
        return {_key(value): value for value in schema["enum"]}
    return None


def _enum(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    before, after = _allowed(old), _allowed(new)
    if before == after:
        return
    where = json_path([*at, "enum" if "enum" in new or "enum" in old else "const"])
    if before is None:
        yield Change(where, "enum_tightened", Effect.NARROWER, None, list(after.values()))
    elif after is None:
        yield Change(where, "enum_loosened", Effect.WIDER, list(before.values()), None)
    else:
        for key in before.keys() - after.keys():
            yield Change(where, "enum_value_removed", Effect.NARROWER, before[key], None)
        for key in after.keys() - before.keys():
            yield Change(where, "enum_value_added", Effect.WIDER, None, after[key])


def _closed(schema: dict[str, Any]) -> bool:
    return schema.get("additionalProperties", True) is False or schema.get("unevaluatedProperties") is False


def _properties(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    before, after = old.get("properties", {}), new.get("properties", {})
    for name in sorted(before.keys() - after.keys()):
        # Closed object: the name is now rejected. Open object: anything goes under it now.
        effect = Effect.NARROWER if _closed(new) else Effect.WIDER
        yield Change(json_path([*at, "properties", name]), "property_removed", effect, before[name], None)
    for name in sorted(after.keys() - before.keys()):
        # Open object: the name was unconstrained and unused by the schema; naming it documents it.
        effect = Effect.WIDER if _closed(old) else Effect.NONE
        yield Change(json_path([*at, "properties", name]), "property_added", effect, None, after[name])
    for name in sorted(before.keys() & after.keys()):
        yield from _walk(before[name], after[name], (*at, "properties", name))


def _required(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    before, after = set(old.get("required", [])), set(new.get("required", []))
    where = json_path([*at, "required"])
    for name in sorted(after - before):
        yield Change(where, "required_added", Effect.NARROWER, None, name)
    for name in sorted(before - after):
        yield Change(where, "required_removed", Effect.WIDER, name, None)


def _additional(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
    where = (*at, "additionalProperties")
    if isinstance(before, dict) and isinstance(after, dict) and before and after:
        yield from _walk(before, after, where)
        return
    r_before, r_after = _extra_rank(before), _extra_rank(after)
    if r_before == r_after:
        return
    category, effect = (
        ("additional_properties_tightened", Effect.NARROWER)
        if r_after < r_before
        else ("additional_properties_loosened", Effect.WIDER)
    )
    yield Change(json_path(where), category, effect, before, after)


def _extra_rank(value: Any) -> int:
    """How much `additionalProperties` lets in: false 0, a schema 1, true or {} (anything) 2."""
    if value is False:
        return 0
    return 2 if value is True or value == {} else 1


def _bounds(old: dict[str, Any], new: dict[str, Any], at: Location) -> Iterator[Change]:
    for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after) if v is not None
        ):
            # Not a number on one side (a document written loosely): no order to judge it by.
            yield Change(json_path([*at, keyword]), "keyword_changed", Effect.BOTH, before, after)
            continue
        if after is None:
            tighter = False
        elif before is None:
            tighter = True
        else:
            tighter = after > before if keyword in _LOWER_BOUNDS else after < before
        category, effect = (
            ("range_tightened", Effect.NARROWER) if tighter else ("range_loosened", Effect.WIDER)
        )
        yield Change(json_path([*at, keyword]), category, effect, before, after)


def _keyword(old: dict[str, Any], new: dict[str, Any], at: Location, keyword: str) -> Iterator[Change]:
    before, after = old.get(keyword), new.get(keyword)
    if before == after:
        return
    if before is None:
        category, effect = f"{keyword}_tightened", Effect.NARROWER
    elif after is None:
        category, effect = f"{keyword}_loosened", Effect.WIDER
    else:
        category, effect = f"{keyword}_changed", Effect.BOTH
    yield Change(json_path([*at, keyword]), category, effect, before, after)


def _branches(
    old: dict[str, Any], new: dict[str, Any], at: Location, keyword: str, added: Effect, category: str
) -> Iterator[Change]:
    """anyOf/oneOf/allOf: identical branches pair up wherever they sit, the rest pair up in order."""
    before, after = old.get(keyword, []), new.get(keyword, [])
    if before == after:
        return
    only_old = [(i, b) for i, b in enumerate(before) if b not in after]
    only_new = [(i, b) for i, b in enumerate(after) if b not in before]
    for (_, b_old), (i_new, b_new) in zip(only_old, only_new, strict=False):
        yield from _walk(b_old, b_new, (*at, keyword, i_new))
    removed = Effect.NARROWER if added is Effect.WIDER else Effect.WIDER
    for index, branch in only_old[len(only_new) :]:
        yield Change(json_path([*at, keyword, index]), f"{category}_removed", removed, branch, None)
    for index, branch in only_new[len(only_old) :]:
        yield Change(json_path([*at, keyword, index]), f"{category}_added", added, None, branch)
