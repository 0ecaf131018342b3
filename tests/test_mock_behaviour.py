"""What the mock's answers promise: determinism, max_tokens and stop, n, exact usage, streaming
invariants, tool calls, structured outputs, vision token counts, embeddings."""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
from mock_support import CHAT, EMBED, HELLO, REASONING, WEATHER, assert_valid, chunks, data_uri, png

from harness.tokens import count_tokens, encode


@pytest.fixture(scope="module")
def http(mock_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_url, timeout=10) as client:
        yield client


def chat(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post("/v1/chat/completions", json={"model": CHAT, "messages": HELLO, **fields})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid("chat_response", body)
    return body


def stream(http: httpx.Client, path: str = "/v1/chat/completions", **fields: Any) -> list[dict[str, Any]]:
    """The chunks of a streamed answer; the body defaults to a chat (or completions) greeting."""
    start = {"prompt": "Once"} if path == "/v1/completions" else {"messages": HELLO}
    response = http.post(path, json={"model": CHAT, **start, **fields, "stream": True})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return chunks(response.content)


def texts(body: dict[str, Any]) -> list[str]:
    return [c["message"]["content"] for c in body["choices"]]


def test_same_request_same_answer(http: httpx.Client) -> None:
    assert texts(chat(http, temperature=0)) == texts(chat(http, temperature=0))
    assert texts(chat(http, seed=1)) == texts(chat(http, seed=1))
    assert texts(chat(http, seed=1)) != texts(chat(http, seed=2))
    other = [{"role": "user", "content": "Something else"}]
    assert texts(chat(http)) != texts(chat(http, messages=other))


def test_n_choices_are_indexed_and_distinct(http: httpx.Client) -> None:
    body = chat(http, n=4)
    assert [c["index"] for c in body["choices"]] == [0, 1, 2, 3]
    assert len(set(texts(body))) == 4
    assert texts(body)[0] == texts(chat(http))[0]  # choice 0 does not depend on n


def test_usage_counts_real_tokens(http: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "How do rivers form?"},
    ]
    body = chat(http, messages=messages, n=3)
    usage = body["usage"]
    assert (
        usage["prompt_tokens"] == count_tokens("Be brief.") + count_tokens("How do rivers form?") + 2 * 3 + 3
    )
    assert usage["completion_tokens"] == sum(count_tokens(t) for t in texts(body))
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_with_length(http: httpx.Client, field: str) -> None:
    full = chat(http)["choices"][0]
    assert full["finish_reason"] == "stop"
    full_tokens = encode(full["message"]["content"])
    cut = chat(http, **{field: 5})
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["usage"]["completion_tokens"] == 5
    assert encode(cut["choices"][0]["message"]["content"]) == full_tokens[:5]
    exact = chat(http, **{field: len(full_tokens)})  # enough room: not cut
    assert exact["choices"][0]["finish_reason"] == "stop"


def test_stop_sequence_truncates_before_it(http: httpx.Client) -> None:
    full = chat(http)["choices"][0]["message"]["content"]
    words = full.split(" ")
    stop = " " + words[3]
    body = chat(http, stop=[stop, "never-appears"])
    content = body["choices"][0]["message"]["content"]
    assert content == full[: full.index(stop)]
    assert stop not in content and body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == count_tokens(content)
    assert chat(http, stop="never-appears")["choices"][0]["message"]["content"] == full


def test_stop_beyond_max_tokens_is_length(http: httpx.Client) -> None:
    full = chat(http)["choices"][0]["message"]["content"]
    stop = " ".join(full.split(" ")[-2:])  # the last two words: well past the first two tokens
    body = chat(http, stop=stop, max_tokens=2)
    assert body["choices"][0]["finish_reason"] == "length"
    assert encode(body["choices"][0]["message"]["content"]) == encode(full)[:2]


def test_stream_invariants(http: httpx.Client) -> None:
    parts = stream(http, n=2, stream_options={"include_usage": True})
    for part in parts:
        assert_valid("chat_chunk", part)
    assert len({p["id"] for p in parts}) == 1 and len({p["created"] for p in parts}) == 1
    by_choice: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for part in parts[:-1]:
        (choice,) = part["choices"]
        by_choice[choice["index"]].append(choice)
    whole = chat(http, n=2)
    for index, choices in by_choice.items():
        assert choices[0]["delta"]["role"] == "assistant"
        assert [c["finish_reason"] for c in choices if c["finish_reason"]] == ["stop"]
        assert choices[-1]["finish_reason"] == "stop"
        text = "".join(c["delta"].get("content") or "" for c in choices)
        assert text == whole["choices"][index]["message"]["content"]
    assert parts[-1]["choices"] == [] and parts[-1]["usage"] == whole["usage"]


def test_stream_without_usage_has_no_usage_chunk(http: httpx.Client) -> None:
    parts = stream(http)
    assert all(p["choices"] and "usage" not in p for p in parts)


def test_stream_max_tokens(http: httpx.Client) -> None:
    parts = stream(http, max_tokens=3, stream_options={"include_usage": True})
    contents = [p["choices"][0]["delta"]["content"] for p in parts[1:-2]]
    assert len(contents) == 3 and parts[-2]["choices"][0]["finish_reason"] == "length"
    assert parts[-1]["usage"]["completion_tokens"] == 3


def test_completions(http: httpx.Client) -> None:
    response = http.post(
        "/v1/completions", json={"model": CHAT, "prompt": "Once upon", "max_tokens": 4, "echo": True}
    )
    body = response.json()
    assert_valid("completions_response", body)
    text = body["choices"][0]["text"]
    assert text.startswith("Once upon") and count_tokens(text[len("Once upon") :]) == 4
    assert body["usage"] == {
        "prompt_tokens": count_tokens("Once upon"),
        "completion_tokens": 4,
        "total_tokens": 6,
    }
    tokens = http.post(
        "/v1/completions", json={"model": CHAT, "prompt": [[1, 2, 3], [4, 5]], "max_tokens": 0}
    ).json()
    assert tokens["usage"]["prompt_tokens"] == 5
    assert [c["text"] for c in tokens["choices"]] == ["", ""]
    assert [c["finish_reason"] for c in tokens["choices"]] == ["length", "length"]


def test_completions_stream(http: httpx.Client) -> None:
    parts = stream(http, "/v1/completions", stream_options={"include_usage": True})
    for part in parts:
        assert_valid("completions_response", part)
    finishes = [c["finish_reason"] for p in parts for c in p["choices"] if c["finish_reason"]]
    assert finishes == ["stop"] and parts[-1]["usage"]["completion_tokens"] > 0


# --- tools -------------------------------------------------------------------------------------

SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}


def tool_call(body: dict[str, Any]) -> dict[str, Any]:
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    return call


def test_tool_choice_variants(http: httpx.Client) -> None:
    assert (
        tool_call(chat(http, tools=[WEATHER, SEARCH]))["function"]["name"] == "get_weather"
    )  # auto: the first
    named = {"type": "function", "function": {"name": "search"}}
    call = tool_call(chat(http, tools=[WEATHER, SEARCH], tool_choice=named))
    assert call["function"]["name"] == "search" and json.loads(call["function"]["arguments"])["q"]
    none = chat(http, tools=[WEATHER], tool_choice="none")["choices"][0]
    assert none["finish_reason"] == "stop" and none["message"]["content"]


def test_auto_answers_in_text_after_a_tool_result(http: httpx.Client) -> None:
    call = tool_call(chat(http, tools=[WEATHER]))
    history = [
        *HELLO,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21 C"},
    ]
    reply = chat(http, messages=history, tools=[WEATHER])
    assert reply["choices"][0]["finish_reason"] == "stop"
    assert reply["usage"]["prompt_tokens"] > chat(http)["usage"]["prompt_tokens"]


def test_tool_arguments_satisfy_schema_for_every_seed(http: httpx.Client) -> None:
    for seed in range(10):
        arguments = json.loads(tool_call(chat(http, tools=[WEATHER], seed=seed))["function"]["arguments"])
        jsonschema.validate(arguments, WEATHER["function"]["parameters"])


def test_tool_call_streamed_deltas(http: httpx.Client) -> None:
    parts = stream(http, tools=[WEATHER], tool_choice="required")
    first = parts[0]["choices"][0]["delta"]["tool_calls"][0]
    assert (
        first["id"]
        and first["type"] == "function"
        and first["function"] == {"name": "get_weather", "arguments": ""}
    )
    fragments = [p["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for p in parts[1:-1]]
    assert len(fragments) > 1
    assert (
        "".join(fragments)
        == tool_call(chat(http, tools=[WEATHER], tool_choice="required"))["function"]["arguments"]
    )
    assert parts[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_structured_output_schema_variety(http: httpx.Client) -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time"},
            "email": {"type": "string", "format": "email"},
            "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2, "maxItems": 3},
            "choice": {"oneOf": [{"type": "integer", "multipleOf": 7, "minimum": 10}, {"type": "null"}]},
            "nested": {"$ref": "#/$defs/item"},
            "fixed": {"const": "yes"},
        },
        "required": ["id", "when", "email", "score", "tags", "choice", "nested", "fixed"],
        "$defs": {"item": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}},
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "thing", "schema": schema}}
    body = chat(http, response_format=response_format)
    content = body["choices"][0]["message"]["content"]
    jsonschema.validate(json.loads(content), schema, format_checker=jsonschema.FormatChecker())
    assert body["usage"]["completion_tokens"] == count_tokens(content)


def test_reasoning_model_on_databricks_routes(http: httpx.Client) -> None:
    path = "/serving-endpoints/chat/completions"
    body = http.post(path, json={"model": REASONING, "messages": HELLO}).json()
    assert_valid("chat_response", body)
    reasoning, text = body["choices"][0]["message"]["content"]
    summary = reasoning["summary"][0]["text"]
    assert body["usage"]["completion_tokens"] == count_tokens(summary) + count_tokens(text["text"])
    parts = stream(http, path, model=REASONING)
    blocks = [p["choices"][0]["delta"]["content"] for p in parts[1:-1]]
    streamed_summary = "".join(b[0]["summary"][0]["text"] for b in blocks if isinstance(b, list))
    assert streamed_summary == summary
    assert "".join(b for b in blocks if isinstance(b, str)) == text["text"]


def test_reasoning_counts_toward_max_tokens(http: httpx.Client) -> None:
    body = http.post(
        "/v1/chat/completions", json={"model": REASONING, "messages": HELLO, "max_tokens": 3}
    ).json()
    assert body["choices"][0]["finish_reason"] == "length" and body["usage"]["completion_tokens"] == 3


# --- vision ------------------------------------------------------------------------------------


def image_prompt_tokens(http: httpx.Client, url: str, detail: str | None = None) -> int:
    image = {"url": url, **({"detail": detail} if detail else {})}
    content = [{"type": "image_url", "image_url": image}]
    return chat(http, messages=[{"role": "user", "content": content}])["usage"]["prompt_tokens"] - 3 - 3


@pytest.mark.parametrize(
    ("width", "height", "detail", "tokens"),
    [
        (100, 100, "low", 85),
        (100, 100, "high", 85 + 170),  # small images are not scaled up: 1 tile
        (1024, 1024, "auto", 85 + 170 * 4),  # short side scaled to 768: 2x2 tiles
        (4096, 1024, "high", 85 + 170 * 4),  # fit in 2048: 2048x512, short side under 768: 4x1 tiles
        (2048, 4096, "high", 85 + 170 * 6),  # 1024x2048, then 768x1536: 2x3 tiles
    ],
)
def test_png_tokens_follow_the_tile_formula(
    http: httpx.Client, width: int, height: int, detail: str, tokens: int
) -> None:
    assert image_prompt_tokens(http, data_uri(png(width, height)), detail) == tokens


def test_other_images_and_urls_have_fixed_costs(http: httpx.Client) -> None:
    assert image_prompt_tokens(http, "https://example.com/a.jpg") == 765
    assert image_prompt_tokens(http, "https://example.com/a.jpg", "low") == 85
    gif = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 20
    assert image_prompt_tokens(http, data_uri(gif, "image/gif")) == 765
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
    assert image_prompt_tokens(http, data_uri(webp, "image/webp")) == 765


# --- embeddings --------------------------------------------------------------------------------


def embed(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = http.post("/v1/embeddings", json={"model": EMBED, **fields})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid("embeddings_response", body)
    return body


def vectors(body: dict[str, Any]) -> list[list[float]]:
    return [d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])]


def test_embeddings_are_deterministic_unit_vectors(http: httpx.Client) -> None:
    first = vectors(embed(http, input=["alpha", "beta", "alpha"]))
    assert first[0] == first[2] != first[1]
    assert first == vectors(embed(http, input=["alpha", "beta", "alpha"]))
    assert first[0] == vectors(embed(http, input="alpha"))[0]
    assert all(abs(math.fsum(x * x for x in v) - 1) < 1e-5 and len(v) == 1536 for v in first)


def test_embeddings_dimensions_truncate_and_renormalize(http: httpx.Client) -> None:
    full = vectors(embed(http, input="alpha"))[0]
    short = vectors(embed(http, input="alpha", dimensions=8))[0]
    scale = math.sqrt(math.fsum(x * x for x in full[:8]))
    assert len(short) == 8 and all(abs(a - b / scale) < 1e-6 for a, b in zip(short, full[:8], strict=True))


def test_embeddings_base64_is_little_endian_float32(http: httpx.Client) -> None:
    floats = vectors(embed(http, input="alpha", dimensions=16))[0]
    encoded = vectors(embed(http, input="alpha", dimensions=16, encoding_format="base64"))[0]
    assert list(struct.unpack("<16f", base64.b64decode(encoded))) == floats


def test_embeddings_token_inputs(http: httpx.Client) -> None:
    body = embed(http, input=[[1, 2, 3], [4]])
    assert len(body["data"]) == 2 and body["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert embed(http, input=[5, 6])["usage"]["prompt_tokens"] == 2
    assert (
        embed(http, input=["hello world", "x"])["usage"]["prompt_tokens"] == count_tokens("hello world") + 1
    )


def test_integers_written_as_floats(http: httpx.Client) -> None:
    """JSON Schema counts 5.0 as an integer, and so must the mock (orjson reads it as a float)."""
    body = chat(http, max_tokens=5.0, n=2.0)
    assert len(body["choices"]) == 2 and body["usage"]["completion_tokens"] == 10
    assert len(embed(http, input="x", dimensions=8.0)["data"][0]["embedding"]) == 8
    huge = b'{"model": "mock-chat", "prompt": [18446744073709551616, 1.0], "echo": true, "max_tokens": 2}'
    response = http.post("/v1/completions", content=huge)
    assert response.status_code == 200 and response.json()["usage"]["prompt_tokens"] == 2


def test_repeated_requests_get_fresh_ids(http: httpx.Client) -> None:
    """Answers are remembered per request, but every response still has its own id."""
    first, second = chat(http, seed=99), chat(http, seed=99)
    assert first["id"] != second["id"] and first["choices"] == second["choices"]
    streamed = [stream(http, seed=99)[0]["id"] for _ in range(2)]
    assert streamed[0] != streamed[1]
