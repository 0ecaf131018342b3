"""The schema registry and the schemas it serves: loading, resolution, error paths, generation, and what
each payload schema accepts and rejects."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings

from harness.generate.engine import values
from harness.paths import SCHEMAS_DIR
from harness.schemas.registry import SchemaError, SchemaLoadError, SchemaRegistry, json_path, registry

PAYLOADS = {
    "chat_request",
    "chat_response",
    "chat_chunk",
    "completions_request",
    "completions_response",
    "embeddings_request",
    "embeddings_response",
    "error",
    "databricks_error",
    "models_list",
    "model",
    "invocations_request",
    "serving_endpoint",
    "responses_request",
    "responses_response",
    "responses_event",
    "databricks_extensions",  # the request fields of the mock's flavours
    "vllm_extensions",
}
SHARED = {"content_parts", "messages", "tools", "response_format", "reasoning", "sampling"}
REQUESTS = sorted(name for name in PAYLOADS if name.endswith("_request"))


def _schema_nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object in a tree, skipping property-name maps' keys and literal values."""
    if isinstance(node, list):
        for item in node:
            yield from _schema_nodes(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "patternProperties"):
                for sub in value.values():
                    yield from _schema_nodes(sub)
            elif key not in ("const", "enum", "default", "examples"):
                yield from _schema_nodes(value)


# --- loading and resolution ---------------------------------------------------------------------------


def test_the_schema_set_is_complete() -> None:
    assert set(registry().names()) == PAYLOADS | SHARED


@pytest.mark.parametrize("name", sorted(PAYLOADS | SHARED))
def test_schema_is_2020_12_with_id_title_and_description(name: str) -> None:
    raw = registry().raw(name)
    assert raw["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert raw["$id"] == f"https://servecheck.dev/schemas/{name}.json"
    assert raw["title"]
    assert raw["description"]
    jsonschema.Draft202012Validator.check_schema(raw)


@pytest.mark.parametrize("name", sorted(PAYLOADS | SHARED))
def test_resolved_schema_is_self_contained(name: str) -> None:
    resolved = registry().resolved(name)
    leftovers = [key for node in _schema_nodes(resolved) for key in ("$ref", "$defs", "$id") if key in node]
    assert leftovers == []
    jsonschema_rs.meta.validate(resolved)


def test_shared_files_only_hold_definitions() -> None:
    """content_parts, messages, ... are libraries of $defs: validating against them means nothing."""
    for name in SHARED:
        assert set(registry().raw(name)) <= {"$schema", "$id", "title", "description", "$comment", "$defs"}


def test_unknown_schema_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown schema 'chat'; known: chat_chunk, chat_request"):
        registry().raw("chat")


def test_fingerprint_is_stable_and_tracks_changes(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    assert SchemaRegistry(copy).fingerprint() == registry().fingerprint()
    error = json.loads((copy / "error.json").read_text())
    error["description"] += " (edited)"
    (copy / "error.json").write_text(json.dumps(error))
    assert SchemaRegistry(copy).fingerprint() != registry().fingerprint()


# --- a broken schema folder -----------------------------------------------------------------------------


def _write(folder: Path, name: str, schema: Any) -> None:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    (folder / f"{name}.json").write_text(text)


def _schema(name: str, **body: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://t/{name}.json",
        **body,
    }


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a": '{"type": "object",'}, r"^a\.json: not JSON: "),
        ({"a": _schema("a", type=5)}, r"^a\.json: not a valid JSON Schema: 5 is not valid under any"),
        (  # judged as 2020-12, as every schema here: a meta-schema it names is never fetched
            {"a": {**_schema("a", type=5), "$schema": "http://127.0.0.1:9/meta"}},
            r"^a\.json: not a valid JSON Schema: 5 is not valid under any",
        ),
        (
            {"a": _schema("a", properties={"x": {"minimum": "1"}})},
            r"^a\.json: not a valid JSON Schema: \"1\" is not of type \"number\"",
        ),
        ({"a": {"type": "object"}}, r"^a\.json: has no \$id$"),
        (
            {"a": _schema("a", properties={"x": {"$ref": "b.json#/$defs/gone"}})},
            r"^a\.json: cannot resolve \$ref 'b\.json#/\$defs/gone'",
        ),
        (
            {"a": _schema("a", items={"$ref": "#"})},
            r"^a\.json: recursive \$ref '#': schemas must stay non-recursive$",
        ),
    ],
    ids=[
        "not-json",
        "not-a-schema",
        "names-another-meta-schema",
        "a-bad-keyword-deep-in",
        "no-id",
        "dangling-ref",
        "recursive-ref",
    ],
)
def test_broken_schema_folder_raises_a_clear_error(
    tmp_path: Path, files: dict[str, Any], message: str
) -> None:
    for name, schema in files.items():
        _write(tmp_path, name, schema)
    with pytest.raises(SchemaLoadError, match=message):
        SchemaRegistry(tmp_path)


def test_cross_file_refs_resolve_in_a_fresh_folder(tmp_path: Path) -> None:
    _write(tmp_path, "lib", _schema("lib", **{"$defs": {"n": {"type": "integer", "minimum": 0}}}))
    _write(tmp_path, "use", _schema("use", type="object", properties={"n": {"$ref": "lib.json#/$defs/n"}}))
    schemas = SchemaRegistry(tmp_path)
    assert schemas.resolved("use") == {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 0}},
    }
    assert schemas.errors("use", {"n": -1}) == [SchemaError("$.n", "-1 is less than the minimum of 0")]


# --- error paths ----------------------------------------------------------------------------------------


def test_json_path_rendering() -> None:
    assert json_path([]) == "$"
    assert json_path(["choices", 0, "finish_reason"]) == "$.choices[0].finish_reason"
    assert str(SchemaError("$.a", "bad")) == "$.a: bad"


CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
CHAT_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def _choice(**changes: Any) -> dict[str, Any]:
    return {**CHAT_RESPONSE, "choices": [{**CHAT_RESPONSE["choices"][0], **changes}]}


def _message(**changes: Any) -> dict[str, Any]:
    return _choice(message={**CHAT_RESPONSE["choices"][0]["message"], **changes})


def _user(content: Any) -> dict[str, Any]:
    return {**CHAT, "messages": [{"role": "user", "content": content}]}


def test_errors_point_at_the_fault_with_json_paths() -> None:
    errors = registry().errors("chat_response", _choice(finish_reason="eos"))
    assert [e.path for e in errors] == ["$.choices[0].finish_reason"]
    assert "eos" in errors[0].message


@pytest.mark.parametrize(
    ("instance", "path", "words"),
    [
        (
            _user([{"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "max"}}]),
            "$.messages[0].content[0].image_url.detail",
            '"max" is not one of',
        ),
        (
            {**CHAT, "messages": [{"role": "tool", "content": "42"}]},
            "$.messages[0]",
            '"tool_call_id" is a required property',
        ),
        (
            {**CHAT, "tool_choice": {"type": "function", "function": {"name": "get weather"}}},
            "$.tool_choice.function.name",
            "does not match",
        ),
        (
            _message(content=[{"type": "reasoning", "summary": [{"type": "summary_text", "text": 5}]}]),
            "$.choices[0].message.content[0].summary[0].text",
            '5 is not of type "string"',
        ),
    ],
    ids=["image-detail", "tool-message", "tool-choice-name", "reasoning-summary"],
)
def test_union_errors_are_explained_by_the_branch_the_payload_meant(
    instance: Any, path: str, words: str
) -> None:
    name = "chat_response" if "choices" in instance else "chat_request"
    errors = registry().errors(name, instance)
    assert [e.path for e in errors] == [path]
    assert words in errors[0].message


def test_ambiguous_union_errors_stay_at_the_union() -> None:
    """A message whose role matches no branch could be any of them: say so, do not guess."""
    errors = registry().errors("chat_request", {**CHAT, "messages": [{"role": "narrator", "content": "x"}]})
    assert [e.path for e in errors] == ["$.messages[0]"]
    assert "anyOf" in errors[0].message


# --- generation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUESTS)
def test_request_schemas_drive_the_generator(name: str) -> None:
    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(values(registry().resolved(name)))
    def check(instance: Any) -> None:
        assert registry().errors(name, instance) == []
        assert registry().is_valid(name, instance)

    check()


# --- what each payload schema accepts and rejects ---------------------------------------------------------

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
    "rkJggg=="
)
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": True,
    },
}
TOOL_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
CHUNK = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "m",
    "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}],
}
COMPLETION = {
    "id": "cmpl-1",
    "object": "text_completion",
    "created": 1,
    "model": "m",
    "choices": [{"text": "hi", "index": 0, "finish_reason": "stop", "logprobs": None}],
}
EMBEDDINGS = {
    "object": "list",
    "model": "e",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, -0.2]}],
    "usage": {"prompt_tokens": 2, "total_tokens": 2},
}
REASONING = [
    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Think."}]},
    {"type": "text", "text": "42"},
]

ACCEPTED: list[tuple[str, str, Any]] = [
    ("chat_request", "minimal", CHAT),
    (
        "chat_request",
        "full sampling",
        {
            **CHAT,
            "max_tokens": 5,
            "max_completion_tokens": 5,
            "n": 2,
            "stop": ["\n", "END", "###", "Q:"],
            "seed": 7,
            "temperature": 2,
            "top_p": 0,
            "presence_penalty": -2,
            "frequency_penalty": 2,
            "logprobs": True,
            "top_logprobs": 20,
            "user": "u",
            "stream": True,
            "stream_options": {"include_usage": True},
            "logit_bias": {"50256": -100},
        },
    ),
    ("chat_request", "nulls mean defaults", {**CHAT, "temperature": None, "stop": None, "max_tokens": None}),
    (
        "chat_request",
        "all roles",
        {
            **CHAT,
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "developer", "content": [{"type": "text", "text": "d"}]},
                {"role": "user", "content": "q", "name": "ann"},
                {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                {"role": "assistant", "content": "no", "refusal": "I can't"},
            ],
        },
    ),
    (
        "chat_request",
        "vision URL and base64",
        _user(
            [
                {"type": "text", "text": "what?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
            ]
        ),
    ),
    (
        "chat_request",
        "tools",
        {**CHAT, "tools": [TOOL], "tool_choice": "required", "parallel_tool_calls": False},
    ),
    (
        "chat_request",
        "named tool choice",
        {**CHAT, "tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    ),
    (
        "chat_request",
        "json_schema",
        {
            **CHAT,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
            },
        },
    ),
    ("chat_request", "json_object", {**CHAT, "response_format": {"type": "json_object"}}),
    (
        "chat_request",
        "Databricks thinking",
        {**CHAT, "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}},
    ),
    (
        "chat_request",
        "reasoning blocks passed back",
        {
            **CHAT,
            "messages": [
                CHAT["messages"][0],
                {
                    "role": "assistant",
                    "content": [
                        {
                            "type": "reasoning",
                            "summary": [
                                {"type": "summary_text", "text": "t", "signature": "sig"},
                                {"type": "summary_encrypted_text", "data": "opaque"},
                            ],
                        },
                        {"type": "text", "text": "42"},
                    ],
                },
                {"role": "user", "content": "why?"},
            ],
        },
    ),
    ("chat_response", "text", CHAT_RESPONSE),
    (
        "chat_response",
        "vendor extras",
        {**CHAT_RESPONSE, "prompt_logprobs": None, "system_fingerprint": None},
    ),
    ("chat_response", "tool calls", _message(content=None, tool_calls=[TOOL_CALL])),
    ("chat_response", "refusal", _message(content=None, refusal="No.")),
    ("chat_response", "Databricks reasoning blocks", _message(content=REASONING)),
    ("chat_response", "vLLM reasoning_content", _message(reasoning_content="Think.")),
    ("chat_response", "vLLM reasoning", _message(reasoning="Think.")),
    (
        "chat_response",
        "redacted reasoning",
        _message(
            content=[
                {"type": "reasoning", "summary": [{"type": "summary_encrypted_text", "data": "opaque"}]},
                {"type": "text", "text": "42"},
            ]
        ),
    ),
    (
        "chat_response",
        "logprobs",
        _choice(
            logprobs={
                "content": [
                    {
                        "token": "hi",
                        "logprob": -0.1,
                        "bytes": [104, 105],
                        "top_logprobs": [{"token": "hi", "logprob": -0.1, "bytes": None}],
                    }
                ],
                "refusal": None,
            }
        ),
    ),
    ("chat_chunk", "content delta", CHUNK),
    (
        "chat_chunk",
        "role delta",
        {
            **CHUNK,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        },
    ),
    (
        "chat_chunk",
        "tool-call deltas",
        {
            **CHUNK,
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": ""},
                            },
                            {"index": 0, "function": {"arguments": '{"ci'}},
                        ]
                    },
                    "finish_reason": None,
                }
            ],
        },
    ),
    (
        "chat_chunk",
        "final choice",
        {**CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}], "usage": None},
    ),
    (
        "chat_chunk",
        "usage chunk",
        {**CHUNK, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}},
    ),
    (
        "chat_chunk",
        "reasoning delta",
        {**CHUNK, "choices": [{"index": 0, "delta": {"content": REASONING[:1]}, "finish_reason": None}]},
    ),
    (
        "completions_request",
        "string prompt",
        {"model": "m", "prompt": "Say hi", "max_tokens": 0, "echo": True, "logprobs": 5, "suffix": None},
    ),
    ("completions_request", "string batch", {"model": "m", "prompt": ["a", "b"]}),
    ("completions_request", "tokens", {"model": "m", "prompt": [1, 2, 3]}),
    ("completions_request", "token batch", {"model": "m", "prompt": [[1, 2], [3]]}),
    (
        "completions_response",
        "final",
        {**COMPLETION, "usage": {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3}},
    ),
    (
        "completions_response",
        "streamed chunk",
        {**COMPLETION, "choices": [{"text": "h", "index": 0, "finish_reason": None}]},
    ),
    (
        "completions_response",
        "logprobs",
        {
            **COMPLETION,
            "choices": [
                {
                    **COMPLETION["choices"][0],
                    "logprobs": {
                        "tokens": ["hi"],
                        "token_logprobs": [-0.5],
                        "top_logprobs": [{"hi": -0.5}],
                        "text_offset": [0],
                    },
                }
            ],
        },
    ),
    (
        "embeddings_request",
        "string",
        {"model": "e", "input": "hello", "dimensions": 8, "encoding_format": "base64", "user": "u"},
    ),
    ("embeddings_request", "strings", {"model": "e", "input": ["a", "b"]}),
    ("embeddings_request", "tokens", {"model": "e", "input": [1, 2]}),
    ("embeddings_request", "token batch", {"model": "e", "input": [[1], [2, 3]]}),
    ("embeddings_response", "floats", EMBEDDINGS),
    (
        "embeddings_response",
        "base64",
        {**EMBEDDINGS, "data": [{"object": "embedding", "index": 0, "embedding": "AAAAPw=="}]},
    ),
    (
        "error",
        "OpenAI",
        {"error": {"message": "bad", "type": "invalid_request_error", "param": "model", "code": None}},
    ),
    ("error", "null type", {"error": {"message": "bad", "type": None, "param": None, "code": "x"}}),
    ("databricks_error", "native", {"error_code": "BAD_REQUEST", "message": "bad"}),
    (
        "models_list",
        "list",
        {
            "object": "list",
            "data": [{"id": "mock-chat", "object": "model", "created": 0, "owned_by": "servecheck"}],
        },
    ),
    ("invocations_request", "chat without model", {"messages": CHAT["messages"], "max_tokens": 5}),
    ("invocations_request", "completions without model", {"prompt": "hi"}),
    ("invocations_request", "embeddings without model", {"input": ["a"]}),
    ("invocations_request", "chat with model", CHAT),
]

REJECTED: list[tuple[str, str, Any, str]] = [
    ("chat_request", "no model", {"messages": CHAT["messages"]}, "$"),
    ("chat_request", "no messages", {"model": "m", "messages": []}, "$.messages"),
    ("chat_request", "unknown field", {**CHAT, "temprature": 1}, "$"),
    ("chat_request", "hot temperature", {**CHAT, "temperature": 2.5}, "$.temperature"),
    ("chat_request", "top_p above 1", {**CHAT, "top_p": 1.5}, "$.top_p"),
    ("chat_request", "penalty below -2", {**CHAT, "presence_penalty": -3}, "$.presence_penalty"),
    ("chat_request", "five stop strings", {**CHAT, "stop": ["a", "b", "c", "d", "e"]}, "$.stop"),
    ("chat_request", "n = 0", {**CHAT, "n": 0}, "$.n"),
    ("chat_request", "top_logprobs 21", {**CHAT, "top_logprobs": 21}, "$.top_logprobs"),
    (
        "chat_request",
        "stream_options typo",
        {**CHAT, "stream_options": {"include_usages": True}},
        "$.stream_options",
    ),
    (
        "chat_request",
        "bmp data URI",
        _user([{"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}]),
        "$.messages[0].content[0].image_url.url",
    ),
    (
        "chat_request",
        "image part without URL",
        _user([{"type": "image_url", "image_url": {}}]),
        "$.messages[0].content[0].image_url",
    ),
    (
        "chat_request",
        "tool without name",
        {**CHAT, "tools": [{"type": "function", "function": {"description": "d"}}]},
        "$.tools[0].function",
    ),
    (
        "chat_request",
        "tool call without arguments",
        {
            **CHAT,
            "messages": [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}],
                }
            ],
        },
        "$.messages[0].tool_calls[0].function",
    ),
    ("chat_request", "thinking switched on", {**CHAT, "thinking": {"type": "on"}}, "$.thinking.type"),
    (
        "chat_request",
        "reasoning without summary",
        {**CHAT, "messages": [{"role": "assistant", "content": [{"type": "reasoning"}]}]},
        "$.messages[0].content[0]",
    ),
    (
        "chat_request",
        "unknown response_format",
        {**CHAT, "response_format": {"type": "yaml"}},
        "$.response_format",
    ),
    ("chat_response", "wrong object", {**CHAT_RESPONSE, "object": "chat.completion.chunk"}, "$.object"),
    ("chat_response", "string created", {**CHAT_RESPONSE, "created": "now"}, "$.created"),
    ("chat_response", "no choices", {k: v for k, v in CHAT_RESPONSE.items() if k != "choices"}, "$"),
    ("chat_response", "user message", _message(role="user"), "$.choices[0].message.role"),
    ("chat_response", "no content key", _choice(message={"role": "assistant"}), "$.choices[0].message"),
    ("chat_response", "no finish_reason", _choice(finish_reason=None), "$.choices[0].finish_reason"),
    (
        "chat_response",
        "negative tokens",
        {**CHAT_RESPONSE, "usage": {"prompt_tokens": -1, "completion_tokens": 1, "total_tokens": 0}},
        "$.usage.prompt_tokens",
    ),
    (
        "chat_response",
        "usage without total",
        {**CHAT_RESPONSE, "usage": {"prompt_tokens": 1, "completion_tokens": 1}},
        "$.usage",
    ),
    (
        "chat_response",
        "tool call arguments as object",
        _message(tool_calls=[{**TOOL_CALL, "function": {"name": "f", "arguments": {}}}]),
        "$.choices[0].message.tool_calls[0].function.arguments",
    ),
    (
        "chat_response",
        "unknown content block",
        _message(content=[{"type": "thinking", "text": "x"}]),
        "$.choices[0].message.content[0]",
    ),
    (
        "chat_chunk",
        "missing finish_reason",
        {**CHUNK, "choices": [{"index": 0, "delta": {"content": "x"}}]},
        "$.choices[0]",
    ),
    (
        "chat_chunk",
        "tool delta without index",
        {
            **CHUNK,
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"function": {"arguments": "{}"}}]},
                    "finish_reason": None,
                }
            ],
        },
        "$.choices[0].delta.tool_calls[0]",
    ),
    ("chat_chunk", "non-object object", {**CHUNK, "object": "chat.completion"}, "$.object"),
    ("completions_request", "no prompt", {"model": "m"}, "$"),
    ("completions_request", "logprobs 6", {"model": "m", "prompt": "x", "logprobs": 6}, "$.logprobs"),
    ("completions_response", "wrong object", {**COMPLETION, "object": "chat.completion"}, "$.object"),
    (
        "completions_response",
        "no text",
        {**COMPLETION, "choices": [{"index": 0, "finish_reason": "stop"}]},
        "$.choices[0]",
    ),
    ("embeddings_request", "empty list", {"model": "e", "input": []}, "$.input"),
    ("embeddings_request", "dimensions 0", {"model": "e", "input": "x", "dimensions": 0}, "$.dimensions"),
    (
        "embeddings_request",
        "float encoding typo",
        {"model": "e", "input": "x", "encoding_format": "floats"},
        "$.encoding_format",
    ),
    (
        "embeddings_response",
        "string numbers",
        {**EMBEDDINGS, "data": [{"object": "embedding", "index": 0, "embedding": ["0.1"]}]},
        "$.data[0].embedding[0]",
    ),
    ("embeddings_response", "no usage", {k: v for k, v in EMBEDDINGS.items() if k != "usage"}, "$"),
    ("error", "bare message", {"message": "bad"}, "$"),
    ("error", "missing param", {"error": {"message": "bad", "type": "t", "code": None}}, "$.error"),
    (
        "error",
        "integer code",
        {"error": {"message": "bad", "type": "t", "param": None, "code": 400}},
        "$.error.code",
    ),
    ("databricks_error", "OpenAI envelope", {"error": {"message": "bad"}}, "$"),
    (
        "models_list",
        "model without owner",
        {"object": "list", "data": [{"id": "m", "object": "model", "created": 0}]},
        "$.data[0]",
    ),
    ("invocations_request", "none of the bodies", {"model": "m"}, "$"),
    (
        "invocations_request",
        "chat with an unknown field",
        {"messages": CHAT["messages"], "temprature": 1},
        "$",
    ),
]


@pytest.mark.parametrize(("name", "what", "instance"), ACCEPTED, ids=[f"{n}:{w}" for n, w, _ in ACCEPTED])
def test_accepts(name: str, what: str, instance: Any) -> None:
    assert registry().errors(name, instance) == []


@pytest.mark.parametrize(
    ("name", "what", "instance", "path"), REJECTED, ids=[f"{n}:{w}" for n, w, _, _ in REJECTED]
)
def test_rejects_at_the_faulty_path(name: str, what: str, instance: Any, path: str) -> None:
    errors = registry().errors(name, instance)
    assert errors, f"{name} accepted {what}"
    assert path in [e.path for e in errors]
    assert not registry().is_valid(name, instance)
