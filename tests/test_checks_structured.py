"""Structured outputs: the content is the JSON the response_format asked for."""

from __future__ import annotations

from payloads import (
    assistant,
    chat_request,
    chat_response,
    choice,
    exchange,
    fails,
    passes,
    reasoning_message,
    skips,
    stream_exchange,
    to_chunks,
)

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}}
JSON_OBJECT = {"type": "json_object"}


def answer(content: object, fmt: dict, finish_reason: str = "stop", **message: object):
    body = chat_response(choice(0, assistant(content, **message), finish_reason))
    return exchange("structured", chat_request(response_format=fmt), body)


def test_json_schema_passes_valid_content() -> None:
    passes("structured.json_schema", answer('{"name": "Ada", "age": 36}', JSON_SCHEMA))


def test_json_schema_fails_unparsable_content() -> None:
    failure = fails(
        "structured.json_schema", answer('{"name": "Ada", ', JSON_SCHEMA), "expected JSON content"
    )
    assert failure.path == "$.choices[0].message.content"


def test_json_schema_fails_content_against_the_schema() -> None:
    fails("structured.json_schema", answer('{"name": "Ada", "age": -1}', JSON_SCHEMA), "at $.age", "minimum")
    fails("structured.json_schema", answer('{"name": "Ada"}', JSON_SCHEMA), "at $:", "'age' is a required")
    fails("structured.json_schema", answer('{"name": "Ada", "age": 1, "x": 0}', JSON_SCHEMA), "'x'")


def test_json_schema_fails_null_content() -> None:
    fails("structured.json_schema", answer(None, JSON_SCHEMA), "expected JSON content, got none")


def test_refused_and_cut_choices_are_not_judged() -> None:
    skips("structured.json_schema", answer(None, JSON_SCHEMA, refusal="I can't help with that."))
    skips("structured.json_schema", answer('{"name": "A', JSON_SCHEMA, finish_reason="length"))


def test_json_schema_reads_the_text_blocks_of_a_reasoning_answer() -> None:
    body = chat_response(choice(0, reasoning_message(answer='{"name": "Ada", "age": "old"}')))
    ex = exchange("reasoning", chat_request(response_format=JSON_SCHEMA), body)
    fails("structured.json_schema", ex, "at $.age")


def test_json_schema_is_judged_on_the_reassembled_stream() -> None:
    good = chat_response(choice(0, assistant('{"name": "Ada", "age": 36}')))
    passes(
        "structured.json_schema",
        stream_exchange("structured", chat_request(response_format=JSON_SCHEMA), to_chunks(good)),
    )
    bad = chat_response(choice(0, assistant('{"name": "Ada"}')))
    ex = stream_exchange("structured", chat_request(response_format=JSON_SCHEMA), to_chunks(bad))
    fails("structured.json_schema", ex, "(in the reassembled stream)")


def test_json_object_passes_an_object_and_fails_anything_else() -> None:
    passes("structured.json_object", answer('{"anything": [1, 2]}', JSON_OBJECT))
    fails("structured.json_object", answer("[1, 2]", JSON_OBJECT), "expected a JSON object, got '[1, 2]'")
    fails("structured.json_object", answer("Sure! Here is JSON: {}", JSON_OBJECT), "expected JSON content")


def test_nothing_is_judged_without_a_json_response_format() -> None:
    skips("structured.json_schema", answer("plain text", {"type": "text"}))
    skips("structured.json_object", answer("plain text", JSON_SCHEMA))
    skips("structured.json_schema", exchange("structured", chat_request(), chat_response()))
