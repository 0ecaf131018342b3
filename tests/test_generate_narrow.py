"""Narrowing intersects a schema with an overlay: unions lose the branches the overlay rules out,
objects keep only the named keys, bounds only tighten, and impossible overlays come back False."""

from __future__ import annotations

import pytest

from harness.generate.narrow import OverlayError, flatten, narrow
from harness.generate.overlays import _inline
from harness.generate.valid import body_schema

TEXT = {
    "type": "object",
    "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
    "required": ["type", "text"],
    "additionalProperties": False,
}
IMAGE = {
    "type": "object",
    "properties": {"type": {"const": "image_url"}, "image_url": {"type": "object"}},
    "required": ["type", "image_url"],
    "additionalProperties": False,
}


def test_union_keeps_only_the_branch_the_overlay_names() -> None:
    overlay = {"properties": {"type": {}, "text": {"format": "prompt"}}}
    assert narrow({"anyOf": [TEXT, IMAGE]}, overlay) == {
        "type": "object",
        "properties": {"type": {"const": "text"}, "text": {"type": "string", "format": "prompt"}},
        "required": ["type", "text"],
        "additionalProperties": False,
    }


def test_const_picks_a_branch_and_filters_enums() -> None:
    union = {"anyOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]}
    assert narrow(union, {"enum": ["auto", "required", "sometimes"]}) == {"enum": ["auto", "required"]}
    # An object overlay must not let the string branch through.
    assert narrow(union, {"properties": {}}) == {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }


def test_unnamed_optional_keys_are_dropped_and_unnamed_required_keys_rule_the_object_out() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "required": ["a"],
    }
    assert narrow(schema, {"properties": {"a": {}}})["properties"] == {"a": {"type": "string"}}
    assert narrow(schema, {"properties": {"b": {}}}) is False


def test_bounds_only_tighten_and_types_intersect() -> None:
    schema = {"type": ["integer", "null"], "minimum": 1, "maximum": 128}
    assert narrow(schema, {"maximum": 3}) == {"type": "integer", "minimum": 1, "maximum": 3}
    assert narrow(schema, {"maximum": 500, "minimum": 0}) == {"type": "integer", "minimum": 1, "maximum": 128}
    assert narrow(schema, {"type": "string"}) is False
    assert narrow(schema, {"minimum": 200}) is False


def test_implied_type_picks_the_array_branch() -> None:
    union = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
    assert narrow(union, {"items": {"format": "x"}, "maxItems": 2}) == {
        "type": "array",
        "items": {"type": "string", "format": "x"},
        "minItems": 1,
        "maxItems": 2,
    }


def test_tuple_overlay_fixes_positions() -> None:
    array = {"type": "array", "items": {"anyOf": [TEXT, IMAGE]}, "minItems": 1}
    text, image = {"properties": {"type": {}, "text": {}}}, {"properties": {"type": {}, "image_url": {}}}
    narrowed = narrow(array, {"items": [image, text]})
    assert narrowed["minItems"] == narrowed["maxItems"] == 2
    assert [item["properties"]["type"] for item in narrowed["items"]] == [
        {"const": "image_url"},
        {"const": "text"},
    ]


def test_conflicting_keywords_are_an_error() -> None:
    with pytest.raises(OverlayError):
        narrow({"type": "string", "pattern": "^a"}, {"pattern": "^b"})


def test_flatten_folds_allof_and_unions_required() -> None:
    schema = {"allOf": [{"type": "object", "required": ["a"]}, {"required": ["b"]}]}
    assert flatten(schema) == {"type": "object", "required": ["a", "b"]}
    assert body_schema("chat")["required"] == ["messages", "model"]


def test_overlay_refs_are_inlined_and_unresolvable_ones_are_errors() -> None:
    raw = {"a.json": {"$defs": {"x": {"maximum": 3}}, "p": {"$ref": "#/$defs/x"}}, "b.json": {"q": {}}}
    assert _inline(raw["a.json"], "a.json", raw, ())["p"] == {"maximum": 3}
    assert _inline({"$ref": "a.json#/$defs/x"}, "b.json", raw, ()) == {"maximum": 3}
    with pytest.raises(OverlayError, match="cannot resolve"):
        _inline({"$ref": "#/$defs/missing"}, "a.json", raw, ())
