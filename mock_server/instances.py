"""JSON documents made to satisfy a caller's JSON Schema (tool parameters, response_format schemas).

A small deterministic generator for the common subset: type (object, array, string, integer,
number, boolean, null), properties, required, additionalProperties, enum, const, minimum/maximum
(and exclusive), multipleOf, minLength/maxLength, minItems/maxItems, anyOf/oneOf (first branch
that works), allOf (merged), local $ref, formats date, date-time, time, email, uri, uuid. Every
result is checked with a real validator; a schema it cannot satisfy raises Unsupported, so the
mock answers 400 rather than produce invalid output.
"""

from __future__ import annotations

import json
import math
import zlib
from functools import lru_cache
from typing import Any

import jsonschema_rs
import orjson

from mock_server.limits import GENERATED_CACHE, MAX_GENERATED_CHARS, MAX_GENERATED_VALUES

_FORMATS = {
    "date": "2024-05-17",
    "date-time": "2024-05-17T12:30:00Z",
    "time": "12:30:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/item/1",
    "url": "https://example.com/item/1",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}
_WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
_MAX_DEPTH = 12
# What a defect returns instead of a valid document: the first of these the schema rejects.
_INVALID_CANDIDATES = ["{}", '"not the requested value"', "[]", "0", "null", "true", '{"unexpected":[null]}']


class Unsupported(Exception):
    """The schema is not valid JSON Schema, or is beyond what the generator can satisfy."""


def satisfying_json(schema: dict[str, Any], seed: int) -> str:
    """A compact, ASCII-only JSON document valid against `schema`, the same for the same seed."""
    return _satisfying(orjson.dumps(schema), seed)


def check_schema(schema: dict[str, Any]) -> None:
    """Raise Unsupported unless `schema` compiles as a JSON Schema."""
    _validator(orjson.dumps(schema))


def violating_json(schema: dict[str, Any]) -> str:
    """A JSON text that `schema` rejects; "{" (not JSON at all) when the schema accepts anything."""
    validator = _validator(orjson.dumps(schema))
    for candidate in _INVALID_CANDIDATES:
        if not validator.is_valid(json.loads(candidate)):
            return candidate
    return "{"


class TooMuch(ValueError):
    """The schema demands more than the mock generates for one document (mock_server/limits.py)."""


@lru_cache(maxsize=GENERATED_CACHE)
def _satisfying(schema_key: bytes, seed: int) -> str:
    schema = orjson.loads(schema_key)
    validator = _validator(schema_key)
    try:
        instance = _Generator(schema, seed).make(schema, 0, ())
    except TooMuch as exc:
        raise Unsupported(f"the schema demands more than the mock generates: {exc}") from None
    except (
        RecursionError,
        AttributeError,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
        OverflowError,
    ) as exc:
        raise Unsupported(f"cannot generate a value for this schema ({exc.__class__.__name__})") from None
    if not validator.is_valid(instance):
        raise Unsupported("cannot generate a value that satisfies this schema")
    return json.dumps(instance, separators=(",", ":"))


@lru_cache(maxsize=GENERATED_CACHE)
def _validator(schema_key: bytes) -> jsonschema_rs.Validator:
    schema = orjson.loads(schema_key)
    try:
        return jsonschema_rs.validator_for(schema, validate_formats=True)
    except (jsonschema_rs.ValidationError, ValueError) as exc:
        raise Unsupported(f"not a valid JSON Schema: {str(exc).splitlines()[0][:200]}") from None


class _Generator:
    def __init__(self, root: dict[str, Any], seed: int) -> None:
        self.root = root
        self.seed = seed
        self.values = 0  # made so far, against MAX_GENERATED_VALUES
        self.chars = 0  # string characters made so far, against MAX_GENERATED_CHARS

    def make(self, schema: Any, depth: int, where: tuple[Any, ...]) -> Any:
        if depth > _MAX_DEPTH or schema is False:
            raise ValueError("too deep or unsatisfiable")
        self.values += 1
        if self.values > MAX_GENERATED_VALUES:
            raise TooMuch(f"over {MAX_GENERATED_VALUES:,} values in one document")
        if schema is True or not isinstance(schema, dict):
            return self.word(where)
        schema = self.flatten(schema, depth)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][self.pick(where, len(schema["enum"]))]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.first_branch(schema, key, depth, where)
        kind = schema.get("type", _implied_type(schema))
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"make_{kind}")(schema, depth, where)

    def flatten(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        """Resolve a local $ref and merge allOf members into one schema."""
        if "$ref" in schema:
            target = self.resolve(schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**self.flatten(target, depth + 1), **rest}
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = self.flatten(part, depth + 1)
                merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
            schema = merged
        return schema

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValueError("only local $refs are supported")
        node: Any = self.root
        for part in ref[1:].split("/")[1:]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def first_branch(self, schema: dict[str, Any], key: str, depth: int, where: tuple[Any, ...]) -> Any:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        for branch in schema[key]:
            try:
                return self.make({**rest, **branch} if isinstance(branch, dict) else branch, depth + 1, where)
            except ValueError:
                continue
        raise ValueError("no branch can be satisfied")

    def make_object(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> dict[str, Any]:
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        out = {name: self.make(sub, depth + 1, (*where, name)) for name, sub in properties.items()}
        for name in schema.get("required", []):
            if name not in out:  # with additionalProperties false, make(False) raises: unsatisfiable
                out[name] = self.make(extra, depth + 1, (*where, name))
        self.demand("minProperties", schema.get("minProperties", 0), MAX_GENERATED_VALUES)
        for i in range(len(out), schema.get("minProperties", 0)):
            out[f"field_{i}"] = self.make(extra, depth + 1, (*where, i))
        return out

    def make_array(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> list[Any]:
        prefix = schema.get("prefixItems", [])
        items = schema.get("items", True)
        low, high = schema.get("minItems", 0), schema.get("maxItems", max(3, schema.get("minItems", 0)))
        if high < low:
            raise ValueError("minItems > maxItems")
        count = max(low, min(high, len(prefix) or 1))
        self.demand("minItems", count, MAX_GENERATED_VALUES)
        return [
            self.make(prefix[i] if i < len(prefix) else items, depth + 1, (*where, i)) for i in range(count)
        ]

    def make_string(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> str:
        text = _FORMATS.get(schema.get("format", ""), self.word(where))
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if high is not None and high < low:
            raise ValueError("minLength > maxLength")
        self.demand("minLength", low, MAX_GENERATED_CHARS - self.chars)
        if len(text) < low:
            text += "x" * (low - len(text))
        self.chars += len(text)
        return text if high is None else text[:high]

    def make_integer(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> int:
        low, high = _bounds(schema, 1)
        step = schema.get("multipleOf", 1)
        step = step if isinstance(step, int) and step > 0 else 1
        low, high = -(-math.ceil(low) // step) * step, math.floor(high)  # the first multiple in range
        if low > high:
            raise ValueError("no integer in range")
        return low + step * self.pick(where, (high - low) // step + 1)

    def make_number(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> float:
        low, high = _bounds(schema, 0.5)
        if "multipleOf" in schema:
            value = math.ceil(low / schema["multipleOf"]) * schema["multipleOf"]
        else:
            value = low + (high - low) * self.pick(where, 5) / 4
        if not math.isfinite(value):  # JSON has no infinity
            raise ValueError("no finite number in range")
        return value

    def make_boolean(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> bool:
        return self.pick(where, 2) == 0

    def make_null(self, schema: dict[str, Any], depth: int, where: tuple[Any, ...]) -> None:
        return None

    @staticmethod
    def demand(keyword: str, wanted: Any, room: int) -> None:
        if isinstance(wanted, int | float) and wanted > room:
            shown = f"{int(wanted):,}" if float(wanted).is_integer() else f"{wanted:g}"
            raise TooMuch(f"{keyword} {shown} is over the {max(room, 0):,} left of the mock's limit")

    def word(self, where: tuple[Any, ...]) -> str:
        return _WORDS[self.pick(where, len(_WORDS))]

    def pick(self, where: tuple[Any, ...], count: int) -> int:
        """A number in [0, count) that depends on the seed and the place in the document."""
        return zlib.crc32(repr((self.seed, where)).encode()) % max(1, count)


def _implied_type(schema: dict[str, Any]) -> str:
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if "minimum" in schema or "maximum" in schema or "multipleOf" in schema:
        return "number"
    return "string"


def _bounds(schema: dict[str, Any], offset: float) -> tuple[float, float]:
    """The closed range a number may take; an unbounded side gets a small default."""
    low = schema.get("minimum", -math.inf)
    if "exclusiveMinimum" in schema:
        low = max(low, schema["exclusiveMinimum"] + offset)
    high = schema.get("maximum", math.inf)
    if "exclusiveMaximum" in schema:
        high = min(high, schema["exclusiveMaximum"] - offset)
    if low == -math.inf:
        low = min(0, high - 10)
    if high == math.inf:
        high = low + 100
    if high < low:
        raise ValueError("empty range")
    return low, high
