"""Chat completions: plan the answer (text, tool call, structured output, reasoning), render it as
one JSON body or as a stream of chunks.

Tool calls: with tools and tool_choice "auto" (or absent) the mock calls the first declared tool,
unless the last message is a tool result, when it answers in text; "required" calls the first tool,
a named tool_choice calls that one, "none" answers in text.
Reasoning models answer as the route's flavour does (flavours.py): Databricks content blocks (a
reasoning block with its summary text, then a text block; streamed, each reasoning token a one-block
list and each answer token a string), vLLM's `reasoning` beside the content, or OpenAI's
hidden reasoning, counted in usage.completion_tokens_details.reasoning_tokens.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from harness.tokens import decode, encode
from mock_server import logprobs
from mock_server.answer import (
    Answer,
    Choice,
    ToolCall,
    choice_count,
    finish_reason,
    output_lengths,
    stop_list,
    text_answer,
)
from mock_server.errors import SERVER_ERROR, ApiError, invalid
from mock_server.flavours import REASONING_FIELD
from mock_server.instances import Unsupported, check_schema, satisfying_json, violating_json
from mock_server.limits import check_token_budget, text_tokens
from mock_server.profile import ModelSpec
from mock_server.state import Call, JsonReply, MockState, json_int
from mock_server.streaming import FIRST_TOKEN, NOW, Stream, usage_mode
from mock_server.textgen import finish, pieces, request_seed, sub_seed, text_ids
from mock_server.vision import BadImage, image_tokens

# Token overheads of OpenAI's chat format: per message, and for priming the reply.
MESSAGE_TOKENS = 3
REPLY_TOKENS = 3


def respond(state: MockState, call: Call, body: dict[str, Any], model: ModelSpec) -> JsonReply | Stream:
    """Answer a valid chat request for `model`. The answer (and, not streamed, its rendered choices)
    follows from the request alone, so it is remembered; only id and created are made per call."""
    defects, style = state.defects, call.flavour.reasoning
    key = f"chat {style} {model.name} ".encode() + orjson.dumps(body)
    top = (json_int(body.get("top_logprobs")) or 0) if body.get("logprobs") else None
    if body.get("stream"):
        answer = state.remembered(key, lambda: plan(state, body, model), lambda a: a.size)
        return _stream(answer, call.number, defects, usage_mode(body), style, top)
    answer, rest = state.remembered(
        key, lambda: _rendered(plan(state, body, model), defects, style, top), lambda done: 2 * done[0].size
    )
    head = answer.head("chat.completion", call.number, defects)
    if "schema_violation" in defects:
        del head["object"]
    return JsonReply({**head, **rest}, answer.longest)


def plan(state: MockState, body: dict[str, Any], model: ModelSpec) -> Answer:
    """What a chat request gets, which follows from the request alone."""
    defects = state.defects
    messages = body["messages"]
    if "server_error_on_unicode" in defects and not orjson.dumps(messages).isascii():
        raise ApiError(500, SERVER_ERROR)
    prompt = prompt_tokens(messages, body.get("tools"), defects)
    cap = "max_completion_tokens" if body.get("max_completion_tokens") else "max_tokens"
    check_token_budget(model, prompt, json_int(body.get(cap)), cap)
    seed = request_seed(orjson.dumps(messages, option=orjson.OPT_SORT_KEYS), orjson.dumps(body.get("seed")))
    planner = _Planner(state, body, model)
    count = choice_count(json_int(body.get("n")), defects)
    return Answer(seed, model.name, [planner.choice(i, sub_seed(seed, i)) for i in range(count)], prompt)


def prompt_tokens(messages: list[dict[str, Any]], tools: list[Any] | None, defects: frozenset[str]) -> int:
    """Prompt tokens as OpenAI bills them: content, names, tool calls, images, tool definitions."""
    total = REPLY_TOKENS
    for i, message in enumerate(messages):
        total += MESSAGE_TOKENS + text_tokens(message.get("name") or "")
        content = message.get("content")
        if isinstance(content, str):
            total += text_tokens(content)
        elif content:
            total += sum(
                _part_tokens(part, f"messages[{i}].content[{j}]", defects) for j, part in enumerate(content)
            )
        for tool_call in message.get("tool_calls") or ():
            function = tool_call["function"]
            total += text_tokens(function["name"]) + text_tokens(function["arguments"])
    if tools:
        total += text_tokens(orjson.dumps(tools).decode())
    return total


def _part_tokens(part: dict[str, Any], where: str, defects: frozenset[str]) -> int:
    kind = part["type"]
    if kind == "image_url":
        image = part["image_url"]
        try:
            tokens = image_tokens(
                image["url"], image.get("detail", "auto"), "vision_accept_bad_data_uri" not in defects
            )
        except BadImage as exc:
            raise invalid(f"Invalid image at {where}: {exc}.", f"{where}.image_url.url") from None
        return 0 if "vision_not_billed" in defects else tokens
    return text_tokens(part.get(kind) or "")  # text and refusal parts hold their text under their type


class _Planner:
    """Decides once per request what kind of answer each choice gets, then makes the choices."""

    def __init__(self, state: MockState, body: dict[str, Any], model: ModelSpec) -> None:
        self.defects = state.defects
        self.lengths = (state.profile.output_tokens.min, state.profile.output_tokens.max)
        self.limit = json_int(body.get("max_completion_tokens") or body.get("max_tokens"))
        self.lengths = output_lengths(self.lengths, self.limit, body)
        self.stops = stop_list(body.get("stop"))
        self.reasoning = model.reasoning
        self.tool = _called_tool(body, self.defects)
        self.names = [tool["function"]["name"] for tool in body.get("tools") or ()]
        response_format = body.get("response_format") or {"type": "text"}
        self.format = response_format["type"]
        self.schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}

    def choice(self, index: int, seed: int) -> Choice:
        if self.tool is not None:
            return self._tool_choice(index, seed, *self.tool)
        limit = self.limit
        reasoning = None
        if self.reasoning:
            reasoning = text_ids(sub_seed(seed, 1), 8 + seed % 9)
            if limit is not None and "length_ignored" not in self.defects:
                if len(reasoning) >= limit:
                    return Choice(index, [], finish_reason("length", self.defects), reasoning[:limit])
                limit -= len(reasoning)
        content, reason = self._content(seed, limit)
        return Choice(index, content, finish_reason(reason, self.defects), reasoning)

    def _content(self, seed: int, limit: int | None) -> tuple[list[int], str]:
        if self.format == "text":
            return text_answer(seed, self.lengths, limit, self.stops, self.defects)
        if self.format == "json_object":
            text = json.dumps({"answer": decode(text_ids(seed, self.lengths[0]))})
        elif "structured_invalid" in self.defects:
            text = _or_400(violating_json, self.schema, param="response_format.json_schema.schema")
        else:
            text = _or_400(satisfying_json, self.schema, seed, param="response_format.json_schema.schema")
        return finish(encode(text), limit, self.stops, self.defects)

    def _tool_choice(self, index: int, seed: int, position: int, function: dict[str, Any]) -> Choice:
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        param = f"tools[{position}].function.parameters"
        if "tool_bad_arguments" in self.defects:
            arguments = _or_400(violating_json, parameters, param=param)
        else:
            arguments = _or_400(satisfying_json, parameters, seed, param=param)
        name = function["name"]
        if "tool_undeclared_name" in self.defects:
            while name in self.names:
                name = "undeclared_" + name
        ids = encode(arguments)
        reason = "tool_calls"
        if self.limit is not None and len(ids) > self.limit and "length_ignored" not in self.defects:
            ids, reason = ids[: self.limit], "length"
        call = ToolCall(f"call_{seed:016x}", name, ids)
        return Choice(index, [], finish_reason(reason, self.defects), tool_call=call)


def _called_tool(body: dict[str, Any], defects: frozenset[str]) -> tuple[int, dict[str, Any]] | None:
    """Which declared tool to call (its position and function), or None to answer in text."""
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        parameters = tool["function"].get("parameters")
        if parameters is not None:
            _or_400(check_schema, parameters, param=f"tools[{i}].function.parameters")
    names = [tool["function"]["name"] for tool in tools]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        if name not in names:
            raise invalid(
                f"tool_choice names the function {name!r}, which is not declared in tools.", "tool_choice"
            )
        position = names.index(name)
    elif choice == "required":
        if not tools:
            raise invalid("tool_choice is 'required' but no tools are declared.", "tool_choice")
        position = 0
    elif not tools or choice == "none" or body["messages"][-1]["role"] == "tool":
        return None
    else:
        position = 0
    if "tool_ignore_required" in defects:
        return None
    return position, tools[position]["function"]


def _or_400(func: Any, *args: Any, param: str) -> Any:
    """Call an instances helper; a schema it cannot handle is the caller's 400, not our 500."""
    try:
        return func(*args)
    except Unsupported as exc:
        raise invalid(f"Unsupported schema at {param}: {exc}.", param) from None


def _reasoning_block(text: str, defects: frozenset[str]) -> dict[str, Any]:
    if "reasoning_malformed" in defects:
        return {"type": "reasoning", "text": text}
    return {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}


def assistant_message(choice: Choice, defects: frozenset[str], style: str) -> dict[str, Any]:
    """The message a choice answers with, its reasoning shown in `style` (flavours.py)."""
    if choice.tool_call is not None:
        call = choice.tool_call
        function = {"name": call.name, "arguments": "".join(pieces(call.arguments))}
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call.id, "type": "function", "function": function}],
        }
    text = "".join(pieces(choice.content))
    if choice.reasoning is None or style == "hidden":
        return {"role": "assistant", "content": text}
    reasoning = "".join(pieces(choice.reasoning))
    if style == "field":
        return {"role": "assistant", "content": text, REASONING_FIELD: reasoning}
    return {
        "role": "assistant",
        "content": [_reasoning_block(reasoning, defects), {"type": "text", "text": text}],
    }


def _rendered(
    answer: Answer, defects: frozenset[str], style: str, top: int | None
) -> tuple[Answer, dict[str, Any]]:
    """The answer with the part of its JSON body that is the same on every call: choices, usage.
    `top`: the top_logprobs asked for (None: no logprobs)."""
    choices = [
        {
            "index": c.index,
            "message": assistant_message(c, defects, style),
            "logprobs": None
            if top is None
            else {"content": logprobs.entries(c.content, top, defects), "refusal": None},
            "finish_reason": c.finish,
        }
        for c in answer.choices
    ]
    return answer, {"choices": choices, "usage": answer.usage(defects, style == "hidden")}


def _stream(
    answer: Answer, number: int, defects: frozenset[str], usage: str, style: str, top: int | None
) -> Stream:
    """`usage`: "last" (a usage chunk before [DONE]), "each" (also usage so far on every chunk), ""."""
    head = answer.head("chat.completion.chunk", number, defects)
    stream = Stream(head, defects, answer.prompt_tokens if usage == "each" else None)
    per_choice = [_deltas(choice, defects, style, top) for choice in answer.choices]
    for position, (choice, chunks) in enumerate(zip(answer.choices, per_choice, strict=True)):
        opening = {"index": choice.index, "delta": _opening_delta(choice, defects), "finish_reason": None}
        if "stream_double_finish" in defects:
            (chunks or [opening])[-1]["finish_reason"] = choice.finish
        stream.chunk([opening], FIRST_TOKEN if position == 0 else NOW)
    stream.rounds(per_choice, NOW)
    for choice in answer.choices:
        stream.chunk([{"index": choice.index, "delta": {}, "finish_reason": choice.finish}])
    if "stream_after_finish" in defects:
        stream.chunk([{"index": 0, "delta": {"content": " (late)"}, "finish_reason": None}])
    stream.end(answer.usage(defects, style == "hidden") if usage else None)
    return stream


def _opening_delta(choice: Choice, defects: frozenset[str]) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant", "content": ""}
    if choice.tool_call is not None:
        call = choice.tool_call
        function = {"name": call.name, "arguments": ""}
        delta = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"index": 0, "id": call.id, "type": "function", "function": function}],
        }
    if "stream_no_role" in defects:
        del delta["role"]
    return delta


def _deltas(choice: Choice, defects: frozenset[str], style: str, top: int | None) -> list[dict[str, Any]]:
    """One chunk's choice per token (or per whole character, for multi-token characters), with the
    logprobs of its tokens when asked for (`top` not None)."""
    index = choice.index
    if choice.tool_call is not None:
        return [
            {
                "index": index,
                "delta": {"tool_calls": [{"index": 0, "function": {"arguments": p}}]},
                "finish_reason": None,
            }
            for p in pieces(choice.tool_call.arguments)
        ]
    reasoning = pieces(choice.reasoning or []) if style != "hidden" else []
    out = [
        {
            "index": index,
            "delta": {REASONING_FIELD: p}
            if style == "field"
            else {"content": [_reasoning_block(p, defects)]},
            "finish_reason": None,
        }
        for p in reasoning
    ]
    texts = pieces(choice.content)
    tokens = logprobs.split(texts, choice.content) if top is not None else [[] for _ in texts]
    for text, ids in zip(texts, tokens, strict=True):
        delta: dict[str, Any] = {"index": index, "delta": {"content": text}, "finish_reason": None}
        if top is not None:
            delta["logprobs"] = {"content": logprobs.entries(ids, top, defects), "refusal": None}
        out.append(delta)
    return out
