"""The official openai SDK, unchanged, against the mock: OpenAI base URL and the Databricks way
(base_url=<host>/serving-endpoints), with a token. Every response is also checked against our
response schemas (a response hook records them all)."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator

import httpx
import jsonschema
import openai
import orjson
import pytest
from mock_support import CHAT, EMBED, HELLO, REASONING, WEATHER, Recorder, check_response, data_uri, png

from mock_server.server import running_mock

TOKEN = "sdk-test-token"


@pytest.fixture(scope="module")
def token_mock() -> Iterator[str]:
    with running_mock(token=TOKEN) as url:
        yield url


@pytest.fixture(params=["openai", "databricks"])
def sdk(request: pytest.FixtureRequest, token_mock: str) -> Iterator[tuple[openai.OpenAI, Recorder]]:
    base = f"{token_mock}/v1" if request.param == "openai" else f"{token_mock}/serving-endpoints"
    recorder = Recorder()
    http = httpx.Client(event_hooks={"response": [recorder]}, timeout=10)
    client = openai.OpenAI(api_key=TOKEN, base_url=base, http_client=http, max_retries=0)
    yield client, recorder
    assert recorder.check_all() > 0
    http.close()


def test_chat(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    reply = client.chat.completions.create(model=CHAT, messages=HELLO, max_tokens=50, n=2, seed=7)
    assert reply.object == "chat.completion" and reply.model == CHAT
    assert [c.index for c in reply.choices] == [0, 1]
    assert all(c.message.role == "assistant" and c.message.content for c in reply.choices)
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_chat_stream(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    stream = client.chat.completions.create(
        model=CHAT, messages=HELLO, stream=True, stream_options={"include_usage": True}, max_tokens=20
    )
    parts = list(stream)
    assert parts[0].choices[0].delta.role == "assistant"
    text = "".join(p.choices[0].delta.content or "" for p in parts if p.choices)
    finishes = [p.choices[0].finish_reason for p in parts if p.choices and p.choices[0].finish_reason]
    assert text and len(finishes) == 1
    assert parts[-1].choices == [] and parts[-1].usage.completion_tokens > 0
    assert len({p.id for p in parts}) == 1


def test_tools(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    reply = client.chat.completions.create(
        model=CHAT, messages=HELLO, tools=[WEATHER], tool_choice="required"
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id
    jsonschema.validate(json.loads(call.function.arguments), WEATHER["function"]["parameters"])


def test_tools_streamed(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    stream = client.chat.completions.create(
        model=CHAT, messages=HELLO, tools=[WEATHER], tool_choice="auto", stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for part in stream:
        for delta_call in part.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta_call.index, {"name": "", "arguments": ""})
            call["name"] += delta_call.function.name or ""
            call["arguments"] += delta_call.function.arguments or ""
        finish = part.choices[0].finish_reason or finish
    assert finish == "tool_calls" and calls[0]["name"] == "get_weather"
    jsonschema.validate(json.loads(calls[0]["arguments"]), WEATHER["function"]["parameters"])


def test_structured_output(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "year": {"type": "integer", "minimum": 1900}},
        "required": ["title", "year"],
        "additionalProperties": False,
    }
    reply = client.chat.completions.create(
        model=CHAT,
        messages=HELLO,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "movie", "schema": schema, "strict": True},
        },
    )
    jsonschema.validate(json.loads(reply.choices[0].message.content), schema)
    reply = client.chat.completions.create(
        model=CHAT, messages=HELLO, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_vision(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk

    def prompt_tokens(image_url: dict[str, str]) -> int:
        content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": image_url}]
        reply = client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": content}])
        return reply.usage.prompt_tokens

    text_only = client.chat.completions.create(
        model=CHAT, messages=[{"role": "user", "content": [{"type": "text", "text": "What is this?"}]}]
    ).usage.prompt_tokens
    assert prompt_tokens({"url": "https://example.com/cat.png", "detail": "low"}) == text_only + 85
    assert prompt_tokens({"url": data_uri(png(600, 300))}) == text_only + 85 + 170 * 2  # 2 tiles of 512


def test_reasoning(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    answer = client.chat.completions.create(model=REASONING, messages=HELLO)
    content = answer.choices[0].message.content
    if str(client.base_url).rstrip("/").endswith("/v1"):  # as OpenAI: hidden, counted
        assert isinstance(content, str) and content
        assert 0 < answer.usage.completion_tokens_details.reasoning_tokens < answer.usage.completion_tokens
        return
    assert content[0]["type"] == "reasoning" and content[0]["summary"][0]["text"]
    assert content[1]["type"] == "text" and content[1]["text"]


def test_embeddings(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    floats = client.embeddings.create(
        model=EMBED, input=["one", "two"], encoding_format="float", dimensions=64
    )
    as_b64 = client.embeddings.create(
        model=EMBED, input=["one", "two"], encoding_format="base64", dimensions=64
    )
    assert [d.index for d in floats.data] == [0, 1] and len(floats.data[0].embedding) == 64
    decoded = [list(struct.unpack("<64f", base64.b64decode(d.embedding))) for d in as_b64.data]
    assert [d.embedding for d in floats.data] == decoded  # explicit base64 comes back undecoded
    norm = sum(x * x for x in floats.data[0].embedding)
    assert abs(norm - 1) < 1e-5
    assert floats.usage.prompt_tokens == floats.usage.total_tokens == 2


def test_sdk_default_encoding_is_base64_and_decodes(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, recorder = sdk
    reply = client.embeddings.create(model=EMBED, input="hello")  # the SDK asks for base64 by default
    raw = orjson.loads(recorder.seen[-1].content)["data"][0]["embedding"]
    assert isinstance(raw, str)
    assert list(struct.unpack("<1536f", base64.b64decode(raw))) == reply.data[0].embedding


def test_completions(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    reply = client.completions.create(model=CHAT, prompt=["Once upon", "a time"], n=2, max_tokens=5)
    assert [c.index for c in reply.choices] == [0, 1, 2, 3]
    assert all(c.finish_reason == "length" for c in reply.choices)
    assert reply.usage.completion_tokens == 20
    stream = client.completions.create(model=CHAT, prompt="Once upon", stream=True, max_tokens=5)
    assert "".join(part.choices[0].text for part in stream if part.choices) == reply.choices[0].text


def test_models(sdk: tuple[openai.OpenAI, Recorder]) -> None:
    client, _ = sdk
    assert [m.id for m in client.models.list()] == [CHAT, REASONING, EMBED]


def test_wrong_token_is_an_sdk_authentication_error(token_mock: str) -> None:
    client = openai.OpenAI(api_key="wrong", base_url=f"{token_mock}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


@pytest.mark.parametrize(
    "body",
    [
        {"messages": HELLO, "max_tokens": 8},
        {"messages": HELLO, "stream": True, "stream_options": {"include_usage": True}},
        {"prompt": "Once upon a time", "max_tokens": 4},
        {"input": ["a", "b"]},
    ],
    ids=["chat", "chat-stream", "completions", "embeddings"],
)
def test_invocations(token_mock: str, body: dict) -> None:
    model = EMBED if "input" in body else CHAT
    response = httpx.post(
        f"{token_mock}/serving-endpoints/{model}/invocations",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 200, response.text
    check_response(response.request, response)
    if "messages" in body and not body.get("stream"):
        assert response.json()["model"] == CHAT
