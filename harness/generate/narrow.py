"""Narrowing: intersect a resolved request (sub-)schema with a generation overlay.

An overlay only restricts: the result accepts a subset of what the schema accepts. These rules make
the result cheap to draw from and the request it gives easy to read, where a plain `allOf` of schema
and overlay would leave the generator to merge `anyOf`s (or filter):

- `anyOf` on either side is distributed and the branches the overlay rules out are dropped, so
  `{"role": {"const": "user"}}` against the message union leaves only the user-message branch;
- a list of `items` overlays means exactly those items, in that order (draft-7 tuple form);
- an overlay with `properties` lists the object's keys to generate: keys it does not name are left
  out (`additionalProperties: false`), so no optional field is filled with random junk. Naming a
  key the object cannot have, or leaving out a required one, rules the object out (that is how a
  union branch is picked); `{}` keeps a key as the schema has it;
- keywords imply their type (`items` an array, `properties` an object, `format` a string, ...), so
  `{"items": ...}` against `string | array` keeps only the array.

Overlays are plain JSON Schema fragments (drafts 4-7 keywords); string leaves usually set a
`format` that names a realistic-value strategy (see values.py).
"""

from __future__ import annotations

from typing import Any

import jsonschema

Schema = dict[str, Any]

_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_ANNOTATIONS = ("title", "description", "$comment", "default", "examples")


class OverlayError(ValueError):
    """An overlay or catalog entry that does not fit its schema."""


def narrow(schema: Schema | bool, overlay: Schema) -> Schema | bool:
    """`schema` ∩ `overlay` with no `allOf` and only the `anyOf` branches that can still match.

    Returns False when nothing can satisfy both.
    """
    if schema is False or overlay is False:
        return False
    if schema is True:
        schema = {}
    if not overlay:
        return schema
    if "allOf" in schema:
        return narrow(flatten(schema), overlay)
    for union in ("anyOf", "oneOf"):
        if union in overlay:
            rest = {k: v for k, v in overlay.items() if k != union}
            return _union([narrow(schema, _conjoin(rest, branch)) for branch in overlay[union]])
        if union in schema:
            # oneOf becomes anyOf: the narrowed branches are expected to be disjoint, and the
            # generator tests validate every body against the real schema to prove it.
            rest = {k: v for k, v in schema.items() if k != union}
            return _union([narrow(_conjoin(rest, branch), overlay) for branch in schema[union]])
    return _narrow_plain(schema, overlay)


def flatten(schema: Schema) -> Schema:
    """Fold a schema's `allOf` into it (the resolver turns `$ref` plus siblings into an `allOf`)."""
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for member in schema.get("allOf", ()):
        out = _conjoin(out, flatten(member))
    return out


def _union(branches: list[Schema | bool]) -> Schema | bool:
    alive = [branch for branch in branches if branch is not False]
    if not alive:
        return False
    return alive[0] if len(alive) == 1 else {"anyOf": alive}


def _conjoin(a: Schema, b: Schema | bool) -> Schema:
    """Both schemas' keywords in one dict; only used where the two cannot clash (schema parts)."""
    if b is True:
        return a
    if b is False:
        return {"not": {}}
    out = dict(a)
    for key, value in b.items():
        if key == "required" and key in out:
            out[key] = sorted(set(out[key]) | set(value))
        elif key in out and out[key] != value and key not in _ANNOTATIONS:
            raise OverlayError(f"cannot combine {key!r}: {out[key]!r} and {value!r}")
        else:
            out[key] = value
    return out


def _types(value: str | list[str]) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


_IMPLIED_TYPES = {
    "array": ("items", "additionalItems", "minItems", "maxItems"),
    "object": ("properties", "required", "minProperties", "maxProperties"),
    "string": ("format", "pattern", "minLength", "maxLength"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
}


def _implied_type(overlay: Schema) -> str | None:
    implied = [kind for kind, keys in _IMPLIED_TYPES.items() if any(key in overlay for key in keys)]
    return implied[0] if len(implied) == 1 else None


def _narrow_plain(schema: Schema, overlay: Schema) -> Schema | bool:
    if schema.get("not") == {}:
        return False
    if "type" not in overlay and _implied_type(overlay):
        overlay = {**overlay, "type": _implied_type(overlay)}
    # A literal in either side: keep the values the other side accepts.
    for side, other in ((overlay, schema), (schema, overlay)):
        if "const" in side or "enum" in side:
            values = [side["const"]] if "const" in side else side["enum"]
            kept = [v for v in values if _accepts(other, v)]
            if not kept:
                return False
            return {"const": kept[0]} if len(kept) == 1 else {"enum": kept}
    out: Schema = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    for key, value in overlay.items():
        if key in _ANNOTATIONS:
            continue
        if key == "type":
            if "type" in out:
                mine, theirs = _types(out["type"]), _types(value)
                kept = mine & theirs
                if ("integer" in mine and "number" in theirs) or ("number" in mine and "integer" in theirs):
                    kept.add("integer")  # integers are numbers
                if not kept:
                    return False
                out["type"] = sorted(kept) if len(kept) > 1 else kept.pop()
            else:
                out["type"] = value
        elif key in _UPPER:
            out[key] = min(out.get(key, value), value)
        elif key in _LOWER:
            out[key] = max(out.get(key, value), value)
        elif key == "required":
            out[key] = sorted(set(out.get(key, ())) | set(value))
        elif key == "items":
            base_items = out.get("items", {})
            if isinstance(value, list):  # a tuple overlay: one narrowed schema per position
                out["items"] = [narrow(base_items, item) for item in value]
                if False in out["items"]:
                    return False
                # Exactly these positions: a tuple overlay fixes the array's length.
                out["additionalItems"] = False
                out["minItems"] = max(out.get("minItems", 0), len(value))
                out["maxItems"] = min(out.get("maxItems", len(value)), len(value))
            else:
                out["items"] = narrow(base_items, value)
                if out["items"] is False:
                    return False  # only the empty array would be left: not worth generating
        elif key != "properties":
            if key in out and out[key] != value:
                raise OverlayError(f"overlay sets {key}={value!r}, the schema has {out[key]!r}")
            out[key] = value
    if "properties" in overlay:
        narrowed = _narrow_properties(out, overlay["properties"])
        if narrowed is False:
            return False
        out = narrowed
    return out if _satisfiable(out) else False


def _narrow_properties(out: Schema, overlay_properties: dict[str, Schema]) -> Schema | bool:
    """Keep only the named keys; False when a named key is impossible or a required one unnamed."""
    properties = out.get("properties", {})
    extra = out.get("additionalProperties", True)
    required = set(out.get("required", ()))
    kept: dict[str, Any] = {}
    for name, sub in overlay_properties.items():
        if name in properties:
            base = properties[name]
        elif extra is False:
            return False  # not this object: in a union, the overlay meant another branch
        else:
            base = {} if extra is True else extra
        value = narrow(base, sub)
        if value is False:
            if name in required:
                return False
            continue
        kept[name] = value
    if not required <= set(kept):
        return False
    return {**out, "properties": kept, "additionalProperties": False}


def _satisfiable(schema: Schema) -> bool:
    for low, high in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
        if low in schema and high in schema and schema[low] > schema[high]:
            return False
    return True


def _accepts(schema: Schema, value: Any) -> bool:
    return jsonschema.Draft7Validator(schema).is_valid(value)
