"""Valid example exchanges for the check tests, and the assertions every check test makes.

Payloads follow the OpenAI spec (and Databricks' reasoning content blocks); each test copies one,
breaks one thing, and expects the check to fail on it. `to_chunks` streams a chat.completion the way
OpenAI does: a role delta first, content and tool-call arguments in fragments, choices interleaved,
an empty delta with the finish_reason, and a usage chunk when asked.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest

from harness.checks import CATALOGUE, CheckFailed
from harness.wire.exchange import Exchange, Request, Response
from harness.wire.sse import parse_sse

CREATED = 1_750_000_000  # 2025-06-15
CHAT_MODEL = "mock-chat"
EMBED_MODEL = "mock-embed"
# every other family: /chat/completions
PATHS = {"completions": "/completions", "embeddings": "/embeddings", "responses": "/responses"}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


# -- chat ----------------------------------------------------------------------------------------


def chat_request(**fields: Any) -> dict[str, Any]:
    return {
        "model": CHAT_MODEL,
        "messages": [{"role": "user", "content": "Say hello in three words."}],
        **fields,
    }


def assistant(content: Any = "Hello there, friend.", **fields: Any) -> dict[str, Any]:
    return {"role": "assistant", "content": content, "refusal": None, **fields}


def choice(
    index: int = 0, message: dict[str, Any] | None = None, finish_reason: str = "stop"
) -> dict[str, Any]:
    return {
        "index": index,
        "message": message or assistant(),
        "logprobs": None,
        "finish_reason": finish_reason,
    }


def usage(prompt: int = 12, completion: int = 5) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_response(*choices: dict[str, Any], tokens: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": CREATED,
        "model": CHAT_MODEL,
        "choices": list(choices) or [choice()],
        "usage": tokens or usage(),
        "system_fingerprint": "fp_mock",
    }


def tool_call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def calling(*calls: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """A choice that calls tools (content null, finish_reason tool_calls)."""
    return choice(index, assistant(None, tool_calls=list(calls)), "tool_calls")


def reasoning_message(summary: str = "The user wants a greeting.", answer: str = "Hello!") -> dict[str, Any]:
    """A Databricks reasoning model's message: a reasoning block, then the answer as a text block."""
    blocks = [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": summary, "signature": "sig=="}]},
        {"type": "text", "text": answer},
    ]
    return assistant(blocks)


# -- completions and embeddings -------------------------------------------------------------------


def completions_request(**fields: Any) -> dict[str, Any]:
    return {"model": CHAT_MODEL, "prompt": "Once upon a time", "max_tokens": 16, **fields}


def text_choice(
    index: int = 0, text: str = " there was a cat.", finish_reason: str = "stop"
) -> dict[str, Any]:
    return {"index": index, "text": text, "logprobs": None, "finish_reason": finish_reason}


def completions_response(*choices: dict[str, Any], tokens: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "cmpl-abc123",
        "object": "text_completion",
        "created": CREATED,
        "model": CHAT_MODEL,
        "choices": list(choices) or [text_choice()],
        "usage": tokens or usage(4, 6),
    }


def embeddings_request(**fields: Any) -> dict[str, Any]:
    return {"model": EMBED_MODEL, "input": ["alpha", "beta"], **fields}


def float32_base64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def embeddings_response(vectors: list[list[float]], encoded: bool = False) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": float32_base64(v) if encoded else v}
            for i, v in enumerate(vectors)
        ],
        "model": EMBED_MODEL,
        "usage": {"prompt_tokens": 2 * len(vectors), "total_tokens": 2 * len(vectors)},
    }


# -- errors ---------------------------------------------------------------------------------------


def openai_error(message: str = "temperature must be at most 2", param: str | None = "temperature") -> dict:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}


def databricks_error(message: str = "Invalid request: temperature must be at most 2") -> dict[str, str]:
    return {"error_code": "BAD_REQUEST", "message": message}


# -- exchanges ------------------------------------------------------------------------------------


def exchange(
    family: str,
    request: dict[str, Any],
    response: Any,
    *,
    status: int = 200,
    expect: str = "success",
    api: str = "openai",
    raw: bytes | None = None,
    content_type: str = "application/json",
    error: str | None = None,
    note: str = "",
    context: dict[str, Any] | None = None,
    get: str | None = None,
    headers: dict[str, str] | None = None,
) -> Exchange:
    """An exchange answered with `response` as JSON (or the `raw` bytes), parsed as the client does;
    `get`: a GET of that path (no body) instead of the family's POST."""
    body = raw if raw is not None else b"" if response is None else orjson.dumps(response)
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    headers = {**({"content-type": content_type} if content_type else {}), **(headers or {})}
    sent = (
        Request("GET", get)
        if get
        else Request("POST", "/v1" + PATHS.get(family, "/chat/completions"), request)
    )
    return Exchange(
        family,
        sent,
        Response(status, headers, body, json=parsed, error=error),
        expect,
        api,
        note,
        context or {},
    )


# -- the adaptive family's probes (harness/contract/adaptive.py) -----------------------------------

BASE_TEXT = "The lamp turns slowly over the dark water."


def stop_replay(text: str, finish_reason: str = "stop", stop: str = "dark") -> Exchange:
    """The replay of BASE_TEXT with a stop sequence taken from it, answered with `text`."""
    context = {"check": "adaptive.stop", "base_text": BASE_TEXT, "stop": stop}
    answer = chat_response(choice(message=assistant(text), finish_reason=finish_reason), tokens=usage(12, 6))
    return exchange("chat", chat_request(stop=[stop]), answer, context=context)


def length_replay(text: str, finish_reason: str = "length", tokens: int = 4, limit: int = 4) -> Exchange:
    """The replay of BASE_TEXT (9 tokens) with max_tokens `limit`, answered with `text`."""
    context = {"check": "adaptive.length", "base_text": BASE_TEXT, "base_tokens": 9}
    answer = chat_response(
        choice(message=assistant(text), finish_reason=finish_reason), tokens=usage(12, tokens)
    )
    return exchange("chat", chat_request(max_tokens=limit), answer, context=context)


def model_record(model: str = CHAT_MODEL) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": CREATED, "owned_by": "servecheck"}


def models_exchange(listed: Any, served: str | None = CHAT_MODEL) -> Exchange:
    return exchange("models", {}, listed, get="/models", context={"check": "models.listed", "served": served})


def endpoint_record(
    name: str = CHAT_MODEL, ready: str = "READY", routed: str | None = None
) -> dict[str, Any]:
    entity = f"{CHAT_MODEL}-1"
    return {
        "name": name,
        "state": {"ready": ready, "config_update": "NOT_UPDATING"},
        "config": {
            "served_entities": [{"name": entity, "entity_name": f"system.ai.{CHAT_MODEL}"}],
            "traffic_config": {
                "routes": [{"served_model_name": routed or entity, "traffic_percentage": 100}]
            },
        },
        "task": "llm/v1/chat",
    }


def endpoint_exchange(record: Any) -> Exchange:
    context = {"check": "databricks.endpoint", "served": CHAT_MODEL}
    path = f"/api/2.0/serving-endpoints/{CHAT_MODEL}"
    return exchange("endpoint", {}, record, get=path, api="databricks", context=context)


def served_exchange(answer: Any, status: int = 200, headers: dict[str, str] | None = None) -> Exchange:
    context = {"check": "databricks.served_model", "served": f"{CHAT_MODEL}-1", "endpoint_status": 200}
    return exchange(
        "chat", chat_request(), answer, status=status, api="databricks", context=context, headers=headers
    )


def client_exchange(
    check: str, answer: Any = None, raised: str | None = None, read: str | None = None, stream: bool = False
) -> Exchange:
    """The last request of a clients-family call, as the engine hands it over: the client's outcome in
    its context (read: the text the client read)."""
    context = {"check": check, "subject": f"{check} (call)", "raised": raised, "read": read}
    if stream:
        ex = stream_exchange("stream", chat_request(), to_chunks(answer or chat_response()))
        ex.context = context
        return ex
    return exchange("chat", chat_request(), answer or chat_response(), context=context)


def _fragments(text: str, parts: int = 3) -> list[str]:
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _deltas(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The deltas that stream `message`: role first, then content, then each tool call in fragments."""
    content = message.get("content")
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "content": "" if isinstance(content, str) else None}
    ]
    for key in ("reasoning_content", "reasoning"):  # vLLM's reasoning text streams before the answer
        if isinstance(message.get(key), str):
            deltas += [{key: piece} for piece in _fragments(message[key])]
    if isinstance(content, str):
        deltas += [{"content": piece} for piece in _fragments(content)]
    for block in content if isinstance(content, list) else []:
        if block["type"] == "reasoning":
            for part in block["summary"]:
                pieces = _fragments(part["text"])
                for k, piece in enumerate(pieces):
                    fragment = {"type": "summary_text", "text": piece}
                    if k == len(pieces) - 1 and "signature" in part:
                        fragment["signature"] = part["signature"]
                    deltas.append({"content": [{"type": "reasoning", "summary": [fragment]}]})
        else:
            deltas += [{"content": [{"type": "text", "text": piece}]} for piece in _fragments(block["text"])]
    for k, call in enumerate(message.get("tool_calls") or []):
        head = {"index": k, "id": call["id"], "type": "function"}
        deltas.append(
            {"tool_calls": [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]}
        )
        deltas += [
            {"tool_calls": [{"index": k, "function": {"arguments": piece}}]}
            for piece in _fragments(call["function"]["arguments"])
        ]
    return deltas


def to_chunks(response: dict[str, Any], include_usage: bool = False) -> list[dict[str, Any]]:
    """The chat.completion.chunk objects that stream `response`, choices interleaved one per chunk."""
    head = {key: response[key] for key in ("id", "created", "model", "system_fingerprint")}
    head["object"] = "chat.completion.chunk"
    extra = {"usage": None} if include_usage else {}
    steps = []
    for c in response["choices"]:
        deltas = _deltas(c["message"])
        step = [{"index": c["index"], "delta": d, "logprobs": None, "finish_reason": None} for d in deltas]
        if c.get("logprobs"):  # all the entries on the first content chunk: reassembly joins them
            first = next(s for s in step if s["delta"].get("content"))
            first["logprobs"] = c["logprobs"]
        step.append({"index": c["index"], "delta": {}, "logprobs": None, "finish_reason": c["finish_reason"]})
        steps.append(step)
    chunks = []
    for k in range(max(len(s) for s in steps)):
        chunks += [{**head, "choices": [s[k]], **extra} for s in steps if k < len(s)]
    if include_usage:
        chunks.append({**head, "choices": [], "usage": response["usage"]})
    return chunks


def sse(chunks: list[Any], done: bool = True) -> bytes:
    events = [b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks]
    return b"".join(events) + (b"data: [DONE]\n\n" if done else b"")


def stream_exchange(family: str, request: dict[str, Any], body: bytes | list[Any]) -> Exchange:
    """A 200 text/event-stream exchange for `request` (sent with stream true) with `body` (or chunks)."""
    raw = sse(body) if isinstance(body, list) else body
    parsed = parse_sse(raw)
    response = Response(200, {"content-type": "text/event-stream"}, raw, events=parsed.events)
    response.framing = parsed.problems
    return Exchange(
        family,
        Request("POST", "/v1" + PATHS.get(family, "/chat/completions"), {**request, "stream": True}),
        response,
    )


# -- assertions -----------------------------------------------------------------------------------


def passes(name: str, ex: Exchange) -> None:
    """Check `name` applies to `ex` and passes."""
    entry = CATALOGUE[name]
    assert entry.applies(ex), f"{name} should apply"
    entry.run(ex)


def fails(name: str, ex: Exchange, *fragments: str) -> CheckFailed:
    """Check `name` applies to `ex` and fails with a message holding every fragment; the failure."""
    entry = CATALOGUE[name]
    assert entry.applies(ex), f"{name} should apply"
    with pytest.raises(CheckFailed) as info:
        entry.run(ex)
    for fragment in fragments:
        assert fragment in info.value.message, f"{fragment!r} not in {info.value.message!r}"
    return info.value


def skips(name: str, ex: Exchange) -> None:
    assert not CATALOGUE[name].applies(ex), f"{name} should not apply"


# -- the Responses API ------------------------------------------------------------------------------

RESPONSES_TOOL = {"type": "function", **WEATHER_TOOL["function"]}


def responses_request(**fields: Any) -> dict[str, Any]:
    return {"model": CHAT_MODEL, "input": "Hello", "max_output_tokens": 32, **fields}


def message_item(text: str = "Hello there!", status: str = "completed") -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": []}
    return {"type": "message", "id": "msg_1", "status": status, "role": "assistant", "content": [part]}


def function_call_item(name: str = "get_weather", arguments: Any = None) -> dict[str, Any]:
    arguments = (
        orjson.dumps(arguments or {"city": "Oslo"}).decode() if not isinstance(arguments, str) else arguments
    )
    return {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": name,
        "arguments": arguments,
        "status": "completed",
    }


def responses_response(
    *output: dict[str, Any], status: str = "completed", tokens: tuple[int, int] = (12, 5), **fields: Any
) -> dict[str, Any]:
    given, made = tokens
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": CREATED,
        "status": status,
        "model": CHAT_MODEL,
        "output": list(output) or [message_item()],
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "usage": {
            "input_tokens": given,
            "output_tokens": made,
            "total_tokens": given + made,
            "output_tokens_details": {"reasoning_tokens": 0},
        },
        **fields,
    }


def responses_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The typed events that stream `response`, in OpenAI's order (a delta per word), numbered."""
    started = {**response, "status": "in_progress", "output": [], "usage": None}
    found: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(response["output"]):
        at = {"item_id": item["id"], "output_index": index}
        if item["type"] == "function_call":
            found.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "arguments": ""},
                }
            )
            found += [
                {"type": "response.function_call_arguments.delta", **at, "delta": d}
                for d in _words(item["arguments"])
            ]
            found.append(
                {"type": "response.function_call_arguments.done", **at, "arguments": item["arguments"]}
            )
        else:
            found.append(
                {"type": "response.output_item.added", "output_index": index, "item": {**item, "content": []}}
            )
            part = item["content"][0]
            found.append(
                {
                    "type": "response.content_part.added",
                    **at,
                    "content_index": 0,
                    "part": {**part, "text": ""},
                }
            )
            found += [
                {"type": "response.output_text.delta", **at, "content_index": 0, "delta": d}
                for d in _words(part["text"])
            ]
            found.append(
                {"type": "response.output_text.done", **at, "content_index": 0, "text": part["text"]}
            )
            found.append({"type": "response.content_part.done", **at, "content_index": 0, "part": part})
        found.append({"type": "response.output_item.done", "output_index": index, "item": item})
    found.append(
        {
            "type": "response.incomplete" if response["status"] == "incomplete" else "response.completed",
            "response": response,
        }
    )
    return [{**event, "sequence_number": n} for n, event in enumerate(found)]


def _words(text: str) -> list[str]:
    return [word + " " for word in text.split(" ")[:-1]] + [text.split(" ")[-1]]


def typed_sse(found: list[dict[str, Any]]) -> bytes:
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in found)


def responses_stream(request: dict[str, Any], found: list[dict[str, Any]]) -> Exchange:
    return stream_exchange("responses", request, typed_sse(found))


def with_logprobs(response: dict[str, Any], top: int = 2) -> dict[str, Any]:
    """`response` with logprobs for each choice's text, a token per space-separated word."""
    for item in response["choices"]:
        words = _words(item["message"]["content"])
        entries = []
        for k, word in enumerate(words):
            alternatives = [
                {"token": word, "logprob": -0.5 * k - 0.1 * j, "bytes": list(word.encode())}
                for j in range(top)
            ]
            entries.append(
                {
                    "token": word,
                    "logprob": -0.5 * k,
                    "bytes": list(word.encode()),
                    "top_logprobs": alternatives,
                }
            )
        item["logprobs"] = {"content": entries, "refusal": None}
    return response
