"""The mock's Responses API through the openai SDK unchanged: create, stream, parse, function tools,
previous_response_id; every answer and every event valid against the schemas, events in order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import orjson
import pytest
from mock_support import CHAT, REASONING, assert_valid
from pydantic import BaseModel

from harness.wire.sse import parse_sse
from mock_server.server import running_mock

TOKEN = "sk-responses-0123456789"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def root() -> Iterator[str]:
    with running_mock(token=TOKEN) as url:
        yield url


@pytest.fixture(params=["/v1", "/serving-endpoints"])
def client(request: pytest.FixtureRequest, root: str) -> openai.OpenAI:
    return openai.OpenAI(api_key=TOKEN, base_url=root + request.param, max_retries=0)


def raw(root: str, body: dict[str, Any], prefix: str = "/v1") -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.post(f"{root}{prefix}/responses", json=body, headers=headers, timeout=10)


def events(root: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = raw(root, {**body, "stream": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    parsed = parse_sse(response.content)
    assert parsed.problems == []
    found = [orjson.loads(event.data) for event in parsed.events]
    assert [e.event for e in parsed.events] == [e["type"] for e in found]  # event: names the data's type
    return found


def test_plain_text(client: openai.OpenAI) -> None:
    answer = client.responses.create(model=CHAT, input="Tell me a story", instructions="Be brief.")
    assert answer.status == "completed" and answer.output_text
    assert answer.usage.total_tokens == answer.usage.input_tokens + answer.usage.output_tokens
    assert_valid("responses_response", answer.model_dump(mode="json", exclude_none=True))


def test_the_token_cap_makes_an_incomplete_response(client: openai.OpenAI) -> None:
    answer = client.responses.create(model=CHAT, input="Tell me a long story", max_output_tokens=16)
    assert answer.status == "incomplete" and answer.incomplete_details.reason == "max_output_tokens"
    assert answer.usage.output_tokens == 16


def test_previous_response_id_continues_the_conversation(client: openai.OpenAI) -> None:
    first = client.responses.create(model=CHAT, input="Hello")
    second = client.responses.create(model=CHAT, input="And then?", previous_response_id=first.id)
    assert second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens
    forgotten = client.responses.create(model=CHAT, input="Hello", store=False)
    with pytest.raises(openai.NotFoundError, match="not found"):
        client.responses.create(model=CHAT, input="x", previous_response_id=forgotten.id)


def test_function_call_and_its_output(client: openai.OpenAI) -> None:
    called = client.responses.create(model=CHAT, input="Weather in Oslo?", tools=[WEATHER])
    (call,) = called.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert "city" in __import__("json").loads(call.arguments)
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
    answered = client.responses.create(
        model=CHAT, input=[result], previous_response_id=called.id, tools=[WEATHER]
    )
    assert [item.type for item in answered.output] == ["message"] and answered.output_text


def test_structured_output_parses(client: openai.OpenAI) -> None:
    class Weather(BaseModel):
        city: str
        celsius: int

    parsed = client.responses.parse(model=CHAT, input="Weather as JSON", text_format=Weather).output_parsed
    assert isinstance(parsed, Weather)


def test_reasoning_items_and_their_summary(client: openai.OpenAI) -> None:
    answer = client.responses.create(
        model=REASONING, input="Why?", reasoning={"effort": "low", "summary": "auto"}
    )
    reasoning, message = answer.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text and message.type == "message"
    assert 0 < answer.usage.output_tokens_details.reasoning_tokens < answer.usage.output_tokens
    with pytest.raises(openai.BadRequestError, match=r"reasoning\.effort"):
        client.responses.create(model=CHAT, input="Why?", reasoning={"effort": "low"})


def test_the_sdk_stream_helper_gets_the_same_response(client: openai.OpenAI) -> None:
    ask: dict[str, Any] = {"model": CHAT, "input": "Stream me", "tools": [WEATHER], "tool_choice": "none"}
    plain = client.responses.create(**ask)
    with client.responses.stream(**ask) as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == final.output_text == plain.output_text


@pytest.mark.parametrize(
    "body",
    [
        {"model": CHAT, "input": "Hi"},
        {"model": CHAT, "input": "Weather?", "tools": [WEATHER]},
        {"model": REASONING, "input": "Why?", "reasoning": {"summary": "auto"}},
        {"model": CHAT, "input": "Hi", "max_output_tokens": 16},
    ],
    ids=["text", "function-call", "reasoning", "incomplete"],
)
def test_stream_events_are_valid_in_order_and_add_up(root: str, body: dict[str, Any]) -> None:
    found = events(root, body)
    for event in found:
        assert_valid("responses_event", event)
    assert [e["sequence_number"] for e in found] == list(range(len(found)))
    assert [e["type"] for e in found[:2]] == ["response.created", "response.in_progress"]
    assert found[-1]["type"] in ("response.completed", "response.incomplete")
    final = found[-1]["response"]
    assert_valid("responses_response", final)
    done = [e["item"] for e in found if e["type"] == "response.output_item.done"]
    assert done == final["output"]
    texts = "".join(e["delta"] for e in found if e["type"] == "response.output_text.delta")
    arguments = "".join(e["delta"] for e in found if e["type"] == "response.function_call_arguments.delta")
    for item in final["output"]:
        if item["type"] == "message":
            assert texts == item["content"][0]["text"]
        elif item["type"] == "function_call":
            assert arguments == item["arguments"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": CHAT, "input": "x", "tools": [{"type": "web_search_preview"}]}, 400, "tools[0].type"),
        (
            {"model": CHAT, "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            400,
            "input[0].content[0]",
        ),
        ({"model": CHAT, "input": "x", "previous_response_id": "resp_nope"}, 404, "previous_response_id"),
        ({"model": CHAT}, 400, "input"),
        ({"model": CHAT, "input": "x", "temperature": 3}, 400, "temperature"),
        ({"model": CHAT, "input": "x", "max_output_tokens": 0}, 400, "max_output_tokens"),
    ],
    ids=["built-in-tool", "input-file", "unknown-previous", "no-input", "temperature", "zero-tokens"],
)
def test_refusals_name_the_field(root: str, body: dict[str, Any], status: int, param: str) -> None:
    answer = raw(root, body)
    assert answer.status_code == status and answer.json()["error"]["param"] == param
    databricks = raw(root, body, "/serving-endpoints")
    assert databricks.status_code == status and set(databricks.json()) == {"error_code", "message"}
