"""Schema conformance of plain bodies and of every stream chunk, with JSON paths."""

from __future__ import annotations

import copy

from payloads import (
    chat_request,
    chat_response,
    completions_request,
    completions_response,
    embeddings_request,
    embeddings_response,
    exchange,
    fails,
    openai_error,
    passes,
    skips,
    stream_exchange,
    to_chunks,
)

NAME = "schema.response"


def test_valid_bodies_of_every_family_pass() -> None:
    passes(NAME, exchange("chat", chat_request(), chat_response()))
    passes(NAME, exchange("completions", completions_request(), completions_response()))
    passes(NAME, exchange("embeddings", embeddings_request(), embeddings_response([[0.5], [0.25]])))
    passes(NAME, stream_exchange("stream", chat_request(), to_chunks(chat_response())))


def test_a_missing_required_field_is_reported_at_its_object() -> None:
    body = chat_response()
    del body["choices"][0]["finish_reason"]
    failure = fails(NAME, exchange("chat", chat_request(), body), "chat_response", "finish_reason")
    assert failure.path == "$.choices[0]"


def test_a_wrong_type_is_reported_at_its_path() -> None:
    body = chat_response()
    body["usage"]["total_tokens"] = "17"
    failure = fails(NAME, exchange("chat", chat_request(), body), "$.usage.total_tokens")
    assert failure.path == "$.usage.total_tokens"


def test_the_first_few_errors_are_quoted_and_the_rest_counted() -> None:
    body = chat_response()
    body.update(id=1, created="now", model=None, object="chat")
    failure = fails(NAME, exchange("chat", chat_request(), body), "4 schema error(s)", "(and 1 more)")
    assert failure.message.count("$.") == 3


def test_embeddings_and_completions_use_their_own_schema() -> None:
    body = embeddings_response([[0.5]])
    body["data"][0]["embedding"] = []  # the schema wants at least one dimension
    fails(
        NAME,
        exchange("embeddings", embeddings_request(input="a"), body),
        "embeddings_response",
        "$.data[0].embedding",
    )
    text = completions_response()
    text["choices"][0]["text"] = None
    fails(
        NAME,
        exchange("completions", completions_request(), text),
        "completions_response",
        "$.choices[0].text",
    )


def test_every_stream_chunk_is_validated_with_its_event_path() -> None:
    chunks = to_chunks(chat_response())
    chunks[2] = copy.deepcopy(chunks[2]) | {"object": "chat.completion"}
    failure = fails(NAME, stream_exchange("stream", chat_request(), chunks), "chat_chunk", "events[2].object")
    assert failure.path == "events[2].object"


def test_streamed_completions_chunks_use_the_completions_schema() -> None:
    head = {"id": "c", "object": "text_completion", "created": 1_750_000_000, "model": "m"}
    good = [{**head, "choices": [{"index": 0, "text": "Hi", "finish_reason": None}]}]
    passes(NAME, stream_exchange("completions", completions_request(), good))
    bad = [{**head, "choices": [{"index": 0, "text": "Hi", "finish_reason": "tool_calls"}]}]
    fails(
        NAME, stream_exchange("completions", completions_request(), bad), "events[0].choices[0].finish_reason"
    )


def test_only_successful_json_answers_to_valid_requests_are_judged() -> None:
    skips(NAME, exchange("errors", chat_request(), openai_error(), status=400, expect="client_error"))
    skips(NAME, exchange("chat", chat_request(), openai_error(), status=500))
    skips(NAME, exchange("chat", chat_request(), None, raw=b"<html>"))
    skips(NAME, exchange("auth", chat_request(), chat_response()))  # no response schema for the family
