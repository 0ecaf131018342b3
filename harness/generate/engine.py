"""JSON Schema -> Hypothesis strategy: the one place a schema becomes values.

The engine is Schemathesis' generator (4.25+, on jsonschema-rs's canonicaliser: 2020-12, `$ref`,
`prefixItems`, formats), reached through its public route: a one-operation OpenAPI 3.1 document
whose JSON request body is the schema, and `as_strategy()` on that operation. The README's
"Request generation" section records why it replaced hypothesis-jsonschema and how the two compare.

Two things are settled here so that no caller sees them:
- custom formats (values.py's realistic text) are registered with Schemathesis once, by name;
- Schemathesis spells some integers as whole floats (`2.0`), equal under JSON Schema but never sent
  by a real client and refused by strict servers (serde, Go): values come back with plain integers.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET

Schema = dict[str, Any]

_registered: dict[str, st.SearchStrategy[str]] = {}


def register_formats(formats: Mapping[str, st.SearchStrategy[str]]) -> None:
    """Make `"format": name` draw from `formats[name]`; a name keeps its first strategy."""
    for name, strategy in formats.items():
        if _registered.get(name) is strategy:
            continue
        if name in _registered:
            raise ValueError(f"format {name!r} is already registered with another strategy")
        schemathesis.openapi.format(name, strategy)
        _registered[name] = strategy


_HOME = "#/components/schemas/Value"


class GenerationError(ValueError):
    """A schema the engine cannot draw a value from."""


def values(schema: Schema | bool) -> st.SearchStrategy[Any]:
    """Every JSON value `schema` accepts, as Hypothesis draws and shrinks them.

    The schema's own `#...` references are relocated to where it sits in the document. A literal
    (`const`, `enum`) needs no engine; other strategies are built once per distinct schema.
    """
    if isinstance(schema, dict) and set(schema) == {"const"}:
        return _literal([schema["const"]])
    if isinstance(schema, dict) and set(schema) == {"enum"}:
        return _literal(schema["enum"])
    # json, not orjson: schemas may hold integers past 64 bits (the OpenAI spec does).
    return _built(json.dumps(schema, sort_keys=True))


def _literal(choices: list[Any]) -> st.SearchStrategy[Any]:
    strategy = st.sampled_from(choices)
    # A drawn object is the caller's to change: never hand out the schema's own.
    return strategy.map(copy.deepcopy) if any(isinstance(c, dict | list) for c in choices) else strategy


@cache
def _built(key: str) -> st.SearchStrategy[Any]:
    schema = json.loads(key)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "servecheck generation", "version": "1"},
        "paths": {
            "/value": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": _HOME}}},
                    },
                    "responses": {"default": {"description": "unused"}},
                }
            }
        },
        "components": {"schemas": {"Value": _relocated(schema)}},
    }
    operation = schemathesis.openapi.from_dict(document)["/value"]["POST"]
    return operation.as_strategy(GenerationMode.POSITIVE).map(_body)


def _body(case: schemathesis.Case) -> Any:
    if case.body is NOT_SET:  # Schemathesis leaves out a body it could not build
        raise GenerationError("the schema admits no value the generator can build (an unresolvable $ref?)")
    return plain_integers(case.body)


def _relocated(node: Any) -> Any:
    """`node` with each local `$ref` ("#/$defs/x") pointing into the document's copy of the schema."""
    if isinstance(node, list):
        return [_relocated(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#"):
            out[key] = _HOME + value[1:]
        elif key in _LITERALS:
            out[key] = value
        elif key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: _relocated(sub) for name, sub in value.items()}
        else:
            out[key] = _relocated(value)
    return out


_LITERALS = {"const", "enum", "default", "examples"}  # values, not schemas
_NAME_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}


def plain_integers(value: Any) -> Any:
    """`value` with every whole float written as an int (JSON Schema holds 2.0 == 2)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [plain_integers(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_integers(item) for key, item in value.items()}
    return value
