"""The mock's building blocks without a server: token counting, deterministic text, the JSON
instance generator, image token counts."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from mock_support import data_uri, png

from harness.tokens import count_tokens, decode, encode
from mock_server import textgen
from mock_server.instances import Unsupported, satisfying_json, violating_json
from mock_server.profile import Profile
from mock_server.state import MEMO_SIZE, MEMO_TOKENS, MockState
from mock_server.vision import BadImage, image_tokens, tile_tokens

NO_DEFECTS: frozenset[str] = frozenset()


def test_tokens_are_o200k() -> None:
    assert encode("Hello world") == [13225, 2375]
    assert decode([13225, 2375]) == "Hello world"
    assert count_tokens("Hello world") == 2
    assert count_tokens("<|endoftext|>") > 1  # special-token text in user input is just text


def test_corpus_retokenizes_to_itself() -> None:
    """Why completion_tokens is exact: the text made of corpus tokens encodes back to those tokens."""
    corpus = textgen._corpus()
    assert encode("".join(textgen.pieces(corpus.ids))) == corpus.ids
    for seed in range(200):
        ids = textgen.text_ids(seed, 100)
        assert len(ids) == 100 and encode("".join(textgen.pieces(ids))) == ids


def test_text_is_deterministic_and_prefix_stable() -> None:
    assert textgen.text_ids(5, 30) == textgen.text_ids(5, 30)
    assert textgen.text_ids(5, 10) == textgen.text_ids(5, 30)[:10]
    assert textgen.text_ids(5, 30) != textgen.text_ids(6, 30)
    assert decode(textgen.text_ids(5, 30))[0].isupper()
    assert len(textgen.text_ids(5, textgen.MAX_OUTPUT_TOKENS + 10)) == textgen.MAX_OUTPUT_TOKENS


def test_pieces_keep_multibyte_characters_whole() -> None:
    text = "naïve café ✓ 日本語 🎉"
    pieces = textgen.pieces(encode(text))
    assert "".join(pieces) == text and all("\ufffd" not in p for p in pieces)


def test_finish_rules() -> None:
    ids = encode(" one two three four five six")
    assert textgen.finish(ids, None, [], NO_DEFECTS) == (ids, "stop")
    assert textgen.finish(ids, 2, [], NO_DEFECTS) == (ids[:2], "length")
    assert textgen.finish(ids, 6, [], NO_DEFECTS) == (ids, "stop")
    assert textgen.finish(ids, None, [" three", " two"], NO_DEFECTS) == (encode(" one"), "stop")
    assert textgen.finish(ids, 2, [" four"], NO_DEFECTS) == (ids[:2], "length")  # stop lies past the limit
    assert textgen.finish(ids, 4, [" four"], NO_DEFECTS) == (encode(" one two three"), "stop")
    assert textgen.finish(ids, None, ["", "zzz"], NO_DEFECTS) == (ids, "stop")


def test_finish_defects() -> None:
    ids = encode(" one two three four")
    assert textgen.finish(ids, 2, [], frozenset({"length_ignored"})) == (ids, "stop")
    kept, reason = textgen.finish(ids, None, ["ZZ"], frozenset({"stop_ignored"}))
    assert "ZZ" in decode(kept) and reason == "stop"


# --- instances ---------------------------------------------------------------------------------

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    },
    {"type": "object", "required": ["x", "y"], "additionalProperties": {"type": "integer"}},
    {"type": "object", "minProperties": 3},
    {
        "type": "array",
        "items": {"type": "number", "minimum": 2.5, "maximum": 2.75},
        "minItems": 3,
        "maxItems": 3,
    },
    {"type": "array", "prefixItems": [{"const": 1}, {"type": "boolean"}], "items": False},
    {"type": "string", "minLength": 12, "maxLength": 12},
    {"type": "string", "maxLength": 2},
    {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7},
    {"type": "integer", "multipleOf": 3, "minimum": -10, "maximum": -5},
    {"type": "number", "exclusiveMaximum": 0},
    {"type": ["null", "boolean"]},
    {"enum": [{"k": 1}, [2], "three"]},
    {"anyOf": [{"type": "string", "maxLength": 0, "minLength": 1}, {"type": "integer"}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"required": ["a"]}]},
    {
        "$defs": {
            "n": {
                "type": "object",
                "properties": {"v": {"type": "string", "format": "date"}},
                "required": ["v"],
            }
        },
        "type": "array",
        "items": {"$ref": "#/$defs/n"},
        "minItems": 2,
    },
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uri"},
    {"properties": {"nested": {"properties": {"deeper": {"items": {"minimum": 1}}}}}},
    {},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[json.dumps(s)[:40] for s in SCHEMAS])
def test_generated_instances_are_valid(schema: dict[str, Any]) -> None:
    for seed in range(5):
        text = satisfying_json(schema, seed)
        assert text.isascii()
        jsonschema.validate(json.loads(text), schema, format_checker=jsonschema.FormatChecker())
    assert satisfying_json(schema, 3) == satisfying_json(schema, 3)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[0-9]{4}$"},
        {"not": {}},
        {"type": "integer", "minimum": 5, "maximum": 4},
        {"$ref": "https://example.com/remote.json"},
        {"type": "nonsense"},
    ],
)
def test_unsatisfiable_or_invalid_schemas_raise(schema: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        satisfying_json(schema, 0)


def test_violating_json() -> None:
    schema = SCHEMAS[0]
    assert not jsonschema.Draft202012Validator(schema).is_valid(json.loads(violating_json(schema)))
    assert violating_json({}) == "{"  # accepts any JSON: only non-JSON violates it


# --- images ------------------------------------------------------------------------------------


def test_tile_formula() -> None:
    assert tile_tokens(512, 512) == 85 + 170
    assert tile_tokens(1024, 1024) == 85 + 170 * 4
    assert tile_tokens(768, 1536) == 85 + 170 * 6
    assert tile_tokens(10_000, 1) == 85 + 170 * 4


def test_image_tokens_read_png_size() -> None:
    assert image_tokens(data_uri(png(600, 300)), "high") == 85 + 170 * 2
    assert image_tokens(data_uri(png(600, 300)), "low") == 85


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,abc",  # bad padding
        data_uri(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4),  # truncated PNG
        data_uri(b"hello"),
        data_uri(png(3, 3), "image/webp"),
        "data:image/png;charset=utf-8," + "abc",
    ],
)
def test_bad_data_uris(url: str) -> None:
    with pytest.raises(BadImage):
        image_tokens(url, "low")  # even a low-detail image must hold what it claims
    assert image_tokens(url, "auto", check_data=False) == 765


def test_memo_keeps_the_newest_answers() -> None:
    state = MockState(Profile(), None, ())
    calls = []
    for key in range(MEMO_SIZE + 1):
        state.remembered(str(key).encode(), lambda key=key: calls.append(key) or key, lambda _: 1)
    assert state.remembered(str(MEMO_SIZE).encode(), lambda: -1, lambda _: 1) == MEMO_SIZE  # still there
    assert state.remembered(b"0", lambda: -1, lambda _: 1) == -1  # the oldest went
    assert len(calls) == MEMO_SIZE + 1


def test_memo_holds_at_most_its_tokens() -> None:
    state = MockState(Profile(), None, ())
    big = MEMO_TOKENS // 3
    for key in range(4):
        state.remembered(str(key).encode(), lambda key=key: key, lambda _: big)
    assert state.remembered(b"0", lambda: -1, lambda _: 1) == -1  # pushed out by the tokens, not the count
    assert state.remembered(b"3", lambda: -1, lambda _: 1) == 3
    assert state.remembered(b"huge", lambda: "x", lambda _: MEMO_TOKENS + 1) == "x"  # made, never kept
    assert state.remembered(b"huge", lambda: "again", lambda _: 1) == "again"
