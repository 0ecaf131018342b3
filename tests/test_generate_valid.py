"""Every generated valid request validates against its request schema, keeps its family's shape,
and stays cheap (the narrowing holds)."""

from __future__ import annotations

import base64
import re
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given, settings

from harness.families import CONTRACT, GENERATED, PAYLOADS
from harness.generate import Case, valid_cases
from harness.generate.images import SAMPLE_IMAGE_URL
from harness.generate.narrow import OverlayError
from harness.generate.valid import params
from harness.generate.values import LONG_MAX
from harness.schemas.registry import registry

MODEL = "test-model"
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
IMAGE_URI = re.compile(r"^data:image/(png|jpeg|gif);base64,")
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "gif": b"GIF89a"}

examples = settings(max_examples=20, deadline=None)


def check_common(case: Case, family: str) -> dict[str, Any]:
    assert case.family == family and case.kind == CONTRACT[family].payload
    assert case.expect == "success" and not case.semantic
    body = case.body
    assert body["model"] == MODEL
    errors = registry().errors(case.schema, body)
    assert not errors, [str(e) for e in errors]
    orjson.dumps(body)  # plain JSON data
    return body


def token_cap(body: dict[str, Any]) -> int:
    """Chat requests always carry exactly one token cap."""
    caps = [body[key] for key in ("max_tokens", "max_completion_tokens") if key in body]
    assert len(caps) == 1, "exactly one of max_tokens / max_completion_tokens"
    return caps[0]


def check_sampling(body: dict[str, Any]) -> None:
    assert 1 <= body.get("n", 1) <= 3
    assert 0 <= body.get("temperature", 1) <= 2
    assert 0 <= body.get("top_p", 1) <= 1
    stop = body.get("stop", "")
    assert isinstance(stop, str) or 1 <= len(stop) <= 2
    assert "stream_options" not in body or body.get("stream") is True


def texts(message: dict[str, Any]) -> list[str]:
    content = message.get("content")
    if isinstance(content, str):
        return [content]
    return [part["text"] for part in content or () if part["type"] == "text"]


def check_messages(body: dict[str, Any]) -> None:
    messages = body["messages"]
    assert messages[0]["role"] in ("system", "developer", "user")
    assert messages[-1]["role"] in ("user", "tool")
    for message in messages:
        for text in texts(message):
            assert 1 <= len(text) <= LONG_MAX


def test_families_cover_every_kind() -> None:
    # after the generated families: those built from earlier answers, invalid requests, auth, clients
    assert [f for f, family in CONTRACT.items() if family not in GENERATED] == [
        "adaptive",
        "errors",
        "auth",
        "clients",
    ]
    assert {f.payload for f in GENERATED} == set(PAYLOADS)  # every payload family has valid requests
    with pytest.raises(ValueError, match="no valid requests"):
        valid_cases("errors", MODEL)


@examples
@given(valid_cases("chat", MODEL))
def test_chat(case: Case) -> None:
    body = check_common(case, "chat")
    assert 1 <= token_cap(body) <= 32
    check_sampling(body)
    check_messages(body)
    assert body.get("stream", False) is False
    assert not {"tools", "tool_choice", "response_format", "stream_options"} & set(body)


@examples
@given(valid_cases("stream", MODEL))
def test_stream(case: Case) -> None:
    body = check_common(case, "stream")
    assert body["stream"] is True
    assert isinstance(body.get("stream_options", {"include_usage": False})["include_usage"], bool)
    assert 1 <= token_cap(body) <= 32
    check_sampling(body)
    check_messages(body)


@examples
@given(valid_cases("completions", MODEL))
def test_completions(case: Case) -> None:
    body = check_common(case, "completions")
    prompt = body["prompt"]
    strings = 1 <= len(prompt) <= 3 and all(isinstance(p, str) for p in prompt)
    token_ids = 1 <= len(prompt) <= 16 and all(isinstance(p, int) and 100 <= p <= 20000 for p in prompt)
    assert isinstance(prompt, str) or strings or token_ids
    assert 1 <= body["max_tokens"] <= 32
    assert body.get("stream", False) is False
    check_sampling(body)


@examples
@given(valid_cases("embeddings", MODEL))
def test_embeddings(case: Case) -> None:
    body = check_common(case, "embeddings")
    inputs = body["input"]
    if isinstance(inputs, list):
        assert 1 <= len(inputs) <= 16
        flat = [x for item in inputs for x in (item if isinstance(item, list) else [item])]
        assert all(100 <= x <= 20000 for x in flat if isinstance(x, int))
    assert 8 <= body.get("dimensions", 8) <= 256
    assert body.get("encoding_format", "float") in ("float", "base64")


def test_embeddings_lists_sometimes_repeat_an_input() -> None:
    seen: list[bool] = []

    @settings(max_examples=60, deadline=None, database=None)
    @given(valid_cases("embeddings", MODEL))
    def collect(case: Case) -> None:
        inputs = case.body["input"]
        if isinstance(inputs, list) and not isinstance(inputs[0], int):
            seen.append(len(inputs) != len({orjson.dumps(x) for x in inputs}))

    collect()
    assert any(seen) and not all(seen)


@examples
@given(valid_cases("vision", MODEL))
def test_vision(case: Case) -> None:
    body = check_common(case, "vision")
    assert 1 <= token_cap(body) <= 32
    user = body["messages"][-1]
    images = [part["image_url"] for part in user["content"] if part["type"] == "image_url"]
    assert 1 <= len(images) <= 2 and texts(user)
    for image in images:
        assert image.get("detail", "auto") in ("auto", "low", "high")
        url = image["url"]
        if url != SAMPLE_IMAGE_URL:
            match = IMAGE_URI.match(url)
            assert match, url[:40]
            data = base64.b64decode(url[match.end() :], validate=True)
            assert data.startswith(MAGIC[match.group(1)])


@examples
@given(valid_cases("tools", MODEL))
def test_tools(case: Case) -> None:
    body = check_common(case, "tools")
    assert 1 <= token_cap(body) <= 256
    check_sampling(body)
    check_messages(body)
    functions = {tool["function"]["name"]: tool["function"] for tool in body["tools"]}
    assert 1 <= len(body["tools"]) == len(functions) <= 3, "1-3 tools with distinct names"
    for name, function in functions.items():
        assert TOOL_NAME.match(name)
        parameters = function["parameters"]
        assert parameters["type"] == "object" and parameters["properties"] and parameters["required"]
    choice = body.get("tool_choice", "auto")
    assert choice in ("none", "auto", "required") or choice["function"]["name"] in functions
    calls = {}
    for message in body["messages"]:
        for call in message.get("tool_calls", ()):
            function = functions[call["function"]["name"]]  # a declared tool
            jsonschema.validate(orjson.loads(call["function"]["arguments"]), function["parameters"])
            calls[call["id"]] = call
        if message["role"] == "tool":
            assert message["tool_call_id"] in calls


@examples
@given(valid_cases("structured", MODEL))
def test_structured(case: Case) -> None:
    body = check_common(case, "structured")
    assert 64 <= token_cap(body) <= 256
    response_format = body["response_format"]
    if response_format["type"] == "json_schema":
        schema = response_format["json_schema"]["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and set(schema["required"]) == set(schema["properties"])
        assert schema["additionalProperties"] is False
    else:
        assert response_format == {"type": "json_object"}
        assert body["messages"][0]["role"] == "system" and "JSON" in body["messages"][0]["content"]


@examples
@given(valid_cases("reasoning", MODEL))
def test_reasoning(case: Case) -> None:
    body = check_common(case, "reasoning")
    assert 64 <= token_cap(body) <= 256
    assert not {"temperature", "top_p", "presence_penalty", "frequency_penalty", "n"} & set(body)
    assert body.get("reasoning_effort", "low") in ("low", "medium")
    assert "stream_options" not in body or body["stream"] is True
    check_messages(body)


def test_a_seed_reproduces_the_cases() -> None:
    def run() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        @settings(max_examples=15, deadline=None, database=None, derandomize=True)
        @given(valid_cases("tools", MODEL))
        def collect(case: Case) -> None:
            out.append(case.body)

        collect()
        return out

    assert run() == run()


def test_overlays_naming_unknown_parameters_are_errors() -> None:
    with pytest.raises(OverlayError, match="temprature"):
        params("chat", {"properties": {"temprature": {}}})
    with pytest.raises(OverlayError, match="rules out every value"):
        params("chat", {"properties": {"n": {"minimum": 200}}})
