"""The Responses API (POST /v1/responses, Databricks' /serving-endpoints/responses): the request is
read as the chat conversation it stands for and planned as chat is (chat.plan), then rendered as a
Response (reasoning, message or function_call output items) or as its typed event stream.

Conversation state: a stored response (`store` is not false) keeps its conversation, input and
output, so `previous_response_id` continues it (within the mock's memory, RESPONSES_KEPT answers).
Built-in tools, stored files and file-id images are the server's own business: the mock declines
them with a 400 naming the field.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from mock_server import chat
from mock_server.answer import Answer, Choice
from mock_server.errors import ApiError, invalid
from mock_server.profile import ModelSpec
from mock_server.state import Call, JsonReply, MockState
from mock_server.streaming import FIRST_TOKEN, NEXT_TOKEN, NOW, Stream
from mock_server.textgen import pieces

Message = dict[str, Any]


def respond(state: MockState, call: Call, body: dict[str, Any], model: ModelSpec) -> JsonReply | Stream:
    """Answer a valid Responses request for `model`."""
    previous = _previous(state, body.get("previous_response_id"))
    messages = _conversation(body, previous)
    request = _chat_request(body, messages, model)
    key = f"responses {model.name} ".encode() + orjson.dumps(request)
    answer = state.remembered(key, lambda: chat.plan(state, request, model), lambda a: a.size)
    response_id = f"resp_{answer.seed:016x}{call.number:06d}"
    choice = answer.choices[0]
    if body.get("store") is not False:
        turn = chat.assistant_message(choice, state.defects, "hidden")  # reasoning is not carried over
        state.keep_conversation(response_id, [*messages, turn])
    shown = bool((body.get("reasoning") or {}).get("summary"))
    output = _output(choice, response_id, shown)
    done = _response(state, body, answer, response_id, output)
    if body.get("stream"):
        return _stream(state, choice, done, output)
    return JsonReply(done, answer.longest)


def _previous(state: MockState, response_id: str | None) -> list[Message]:
    if response_id is None:
        return []
    messages = state.conversation(response_id)
    if messages is None:
        message = f"Previous response with id '{response_id}' not found."
        raise ApiError(404, message, "previous_response_id", "previous_response_not_found")
    return messages


def _conversation(body: dict[str, Any], previous: list[Message]) -> list[Message]:
    """The chat messages a request stands for: instructions (never carried over), the previous
    response's conversation, then this request's input."""
    messages = [{"role": "developer", "content": body["instructions"]}] if body.get("instructions") else []
    messages += previous
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    for i, item in enumerate(given if isinstance(given, list) else []):
        kind = item.get("type", "message")
        if kind == "message":
            messages.append({"role": item["role"], "content": _content(item["content"], f"input[{i}]")})
        elif kind == "function_call":
            call = {"id": item["call_id"], "type": "function"}
            call["function"] = {"name": item["name"], "arguments": item["arguments"]}
            if messages and messages[-1].get("tool_calls"):  # parallel calls: one assistant turn
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item["output"]
            text = output if isinstance(output, str) else "".join(p.get("text", "") for p in output)
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
        # reasoning items and item references carry nothing the mock's answer depends on
    if not any(m["role"] != "developer" for m in messages):
        raise invalid("Missing required parameter: 'input' (or a previous_response_id).", "input")
    return messages


def _content(content: str | list[dict[str, Any]], where: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts = []
    for j, part in enumerate(content):
        kind = part["type"]
        if kind in ("input_text", "output_text"):
            parts.append({"type": "text", "text": part["text"]})
        elif kind == "refusal":
            parts.append({"type": "text", "text": part["refusal"]})
        elif kind == "input_image" and "image_url" in part:
            image = {"url": part["image_url"], "detail": part.get("detail", "auto")}
            parts.append({"type": "image_url", "image_url": image})
        else:
            what = "stored files" if kind == "input_file" else "images by file_id"
            raise invalid(f"The mock does not read {what}.", f"{where}.content[{j}]")
    return parts


def _chat_request(body: dict[str, Any], messages: list[Message], model: ModelSpec) -> dict[str, Any]:
    """The chat request that plans the same answer: tools, tool_choice, text.format, the token cap."""
    request: dict[str, Any] = {"messages": messages}
    tools = []
    for i, tool in enumerate(body.get("tools") or ()):
        if tool["type"] != "function":
            raise invalid(f"The mock does not run built-in tools ({tool['type']}).", f"tools[{i}].type")
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None
        }
        tools.append({"type": "function", "function": function})
    if tools:
        request["tools"] = tools
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        if choice["type"] != "function":
            raise invalid(f"The mock does not run built-in tools ({choice['type']}).", "tool_choice.type")
        choice = {"type": "function", "function": {"name": choice["name"]}}
    if choice is not None:
        request["tool_choice"] = choice
    form = ((body.get("text") or {}).get("format")) or {"type": "text"}
    if form["type"] == "json_schema":
        schema = {k: form[k] for k in ("name", "schema", "strict", "description") if k in form}
        request["response_format"] = {"type": "json_schema", "json_schema": schema}
    elif form["type"] == "json_object":
        request["response_format"] = {"type": "json_object"}
    if body.get("max_output_tokens") is not None:
        request["max_completion_tokens"] = body["max_output_tokens"]
    effort = (body.get("reasoning") or {}).get("effort")
    if effort not in (None, "none") and not model.reasoning:
        raise invalid(f"reasoning.effort is not supported with the model {model.name!r}.", "reasoning.effort")
    return request


def _output(choice: Choice, response_id: str, shown: bool) -> list[dict[str, Any]]:
    """The output items: reasoning (its summary when asked for), then a function call or a message."""
    suffix = response_id.removeprefix("resp_")
    items: list[dict[str, Any]] = []
    if choice.reasoning is not None:
        summary = [{"type": "summary_text", "text": "".join(pieces(choice.reasoning))}] if shown else []
        items.append({"type": "reasoning", "id": f"rs_{suffix}", "summary": summary})
    cut = choice.finish == "length"
    status = "incomplete" if cut else "completed"
    if choice.tool_call is not None:
        call = choice.tool_call
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{suffix}",
                "call_id": call.id,
                "name": call.name,
                "arguments": "".join(pieces(call.arguments)),
                "status": status,
            }
        )
    elif choice.content or not cut:
        text = {
            "type": "output_text",
            "text": "".join(pieces(choice.content)),
            "annotations": [],
            "logprobs": [],
        }
        items.append(
            {
                "type": "message",
                "id": f"msg_{suffix}",
                "status": status,
                "role": "assistant",
                "content": [text],
            }
        )
    return items


def _response(
    state: MockState, body: dict[str, Any], answer: Answer, response_id: str, output: list[dict[str, Any]]
) -> dict[str, Any]:
    choice = answer.choices[0]
    cut = choice.finish == "length"
    now = int(time.time())
    reasoning = body.get("reasoning") or {}
    usage = {
        "input_tokens": answer.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": choice.tokens,
        "output_tokens_details": {"reasoning_tokens": len(choice.reasoning or ())},
        "total_tokens": answer.prompt_tokens
        + choice.tokens
        + (1 if "usage_mismatch" in state.defects else 0),
    }
    return {
        "id": response_id,
        "object": "response",
        "created_at": now,
        "status": "incomplete" if cut else "completed",
        "completed_at": None if cut else now,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": answer.model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "store": body.get("store") is not False,
        "temperature": _or(body.get("temperature"), 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": _or(body.get("top_p"), 1.0),
        "truncation": "disabled",
        "usage": usage,
        "metadata": body.get("metadata") or {},
    }


def _retold(done: dict[str, Any]) -> dict[str, Any]:
    """The response told otherwise than its deltas (the responses_stream_disagrees defect): every
    output text reversed, every function call's arguments with a space more."""
    output = []
    for item in done["output"]:
        if item["type"] == "message":
            item = {
                **item,
                "content": [{**part, "text": part["text"][::-1] + "~"} for part in item["content"]],
            }
        elif item["type"] == "function_call":
            item = {**item, "arguments": item["arguments"] + " "}
        output.append(item)
    return {**done, "output": output}


def _or(value: Any, default: Any) -> Any:
    """A request field's value, or the server default it stands for when absent or null."""
    return default if value is None else value


def _stream(state: MockState, choice: Choice, done: dict[str, Any], output: list[dict[str, Any]]) -> Stream:
    """The typed events of a streamed response, in OpenAI's order, numbered from 0: a delta per token."""
    deltas = {
        "reasoning": pieces(choice.reasoning or []),
        "function_call": pieces(choice.tool_call.arguments) if choice.tool_call else [],
        "message": pieces(choice.content),
    }
    stream = Stream({}, state.defects)
    started = {
        **done,
        "status": "in_progress",
        "completed_at": None,
        "output": [],
        "usage": None,
        "incomplete_details": None,
    }
    stream.event("response.created", {"response": started})
    stream.event("response.in_progress", {"response": started})
    wait = FIRST_TOKEN
    for index, item in enumerate(output):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "reasoning":
            stream.event(
                "response.output_item.added", {"output_index": index, "item": {**item, "summary": []}}
            )
            for k, part in enumerate(item["summary"]):
                at = {**where, "summary_index": k}
                stream.event("response.reasoning_summary_part.added", {**at, "part": {**part, "text": ""}})
                for piece in deltas["reasoning"]:
                    stream.event("response.reasoning_summary_text.delta", {**at, "delta": piece}, wait)
                    wait = NEXT_TOKEN
                stream.event("response.reasoning_summary_text.done", {**at, "text": part["text"]})
                stream.event("response.reasoning_summary_part.done", {**at, "part": part})
        elif item["type"] == "function_call":
            stream.event(
                "response.output_item.added",
                {"output_index": index, "item": {**item, "arguments": "", "status": "in_progress"}},
            )
            for piece in deltas["function_call"]:
                stream.event("response.function_call_arguments.delta", {**where, "delta": piece}, wait)
                wait = NEXT_TOKEN
            stream.event("response.function_call_arguments.done", {**where, "arguments": item["arguments"]})
        else:
            stream.event(
                "response.output_item.added",
                {"output_index": index, "item": {**item, "content": [], "status": "in_progress"}},
            )
            at = {**where, "content_index": 0}
            part = item["content"][0]
            stream.event("response.content_part.added", {**at, "part": {**part, "text": ""}})
            for piece in deltas["message"]:
                stream.event("response.output_text.delta", {**at, "delta": piece, "logprobs": []}, wait)
                wait = NEXT_TOKEN
            stream.event("response.output_text.done", {**at, "text": part["text"], "logprobs": []})
            stream.event("response.content_part.done", {**at, "part": part})
        stream.event("response.output_item.done", {"output_index": index, "item": item}, NOW)
    final = "response.incomplete" if done["status"] == "incomplete" else "response.completed"
    if "responses_stream_disagrees" in state.defects:
        done = _retold(done)
    stream.event(final, {"response": done})
    return stream
