"""Legacy completions: one answer per prompt and n, rendered as one JSON body or as a stream.

Prompts may be a string, strings, token ids or lists of token ids; choice p * n + j answers prompt p.
`echo` puts the prompt before the answer; `logprobs`, `suffix` and `best_of` are accepted and ignored.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.tokens import decode
from mock_server.answer import (
    Answer,
    Choice,
    choice_count,
    finish_reason,
    output_lengths,
    stop_list,
    text_answer,
)
from mock_server.errors import SERVER_ERROR, ApiError
from mock_server.limits import check_token_budget, input_tokens
from mock_server.profile import ModelSpec
from mock_server.state import Call, JsonReply, MockState, inputs, json_int
from mock_server.streaming import FIRST_TOKEN, Stream, usage_mode
from mock_server.textgen import pieces, request_seed, sub_seed


def respond(state: MockState, call: Call, body: dict[str, Any], model: ModelSpec) -> JsonReply | Stream:
    """Answer a valid completions request for `model` (remembered, like chat answers)."""
    defects = state.defects
    key = b"completions " + model.name.encode() + b" " + orjson.dumps(body)
    if body.get("stream"):
        answer = state.remembered(key, lambda: plan(state, body, model), lambda a: a.size)
        return _stream(answer, call.number, defects, usage_mode(body))
    answer, rest = state.remembered(
        key, lambda: _rendered(plan(state, body, model), defects), lambda done: 2 * done[0].size
    )
    return JsonReply({**answer.head("text_completion", call.number, defects), **rest}, answer.longest)


def _rendered(answer: Answer, defects: frozenset[str]) -> tuple[Answer, dict[str, Any]]:
    choices = [
        {
            "text": c.echo + "".join(pieces(c.content)),
            "index": c.index,
            "logprobs": None,
            "finish_reason": c.finish,
        }
        for c in answer.choices
    ]
    return answer, {"choices": choices, "usage": answer.usage(defects)}


def plan(state: MockState, body: dict[str, Any], model: ModelSpec) -> Answer:
    """What a completions request gets, which follows from the request alone."""
    defects = state.defects
    prompts = inputs(body.get("prompt"))
    if "server_error_on_unicode" in defects and not all(p.isascii() for p in prompts if isinstance(p, str)):
        raise ApiError(500, SERVER_ERROR)
    limit, stops = json_int(body.get("max_tokens")), stop_list(body.get("stop"))
    lengths = output_lengths((state.profile.output_tokens.min, state.profile.output_tokens.max), limit, body)
    n = choice_count(json_int(body.get("n")), defects)
    seed = orjson.dumps(body.get("seed"))
    choices = []
    for p, prompt in enumerate(prompts):
        prompt_seed = request_seed(repr(prompt).encode(), seed)
        echo = _text(prompt) if body.get("echo") else ""
        for j in range(n):
            ids, reason = text_answer(sub_seed(prompt_seed, j), lengths, limit, stops, defects)
            choices.append(Choice(p * n + j, ids, finish_reason(reason, defects), echo=echo))
    counts = [input_tokens([p]) for p in prompts]  # each prompt is a request of its own to the context
    prompt_tokens = sum(counts)
    check_token_budget(model, max(counts, default=0), limit, "max_tokens")
    return Answer(request_seed(repr(prompts).encode(), seed), model.name, choices, prompt_tokens)


def _text(prompt: str | list[int]) -> str:
    if isinstance(prompt, str):
        return prompt
    try:
        return decode(prompt)
    except KeyError:  # ids that are not in the vocabulary echo as nothing
        return ""


def _stream(answer: Answer, number: int, defects: frozenset[str], usage: str) -> Stream:
    """`usage` as streaming.usage_mode says."""
    head = answer.head("text_completion", number, defects)
    stream = Stream(head, defects, answer.prompt_tokens if usage == "each" else None)
    per_choice = []
    for c in answer.choices:
        texts = pieces(c.content)
        if c.echo:
            texts.insert(0, c.echo)
        chunks = [{"text": t, "index": c.index, "logprobs": None, "finish_reason": None} for t in texts]
        if chunks and "stream_double_finish" in defects:
            chunks[-1]["finish_reason"] = c.finish
        per_choice.append(chunks)
    stream.rounds(per_choice, FIRST_TOKEN)
    for c in answer.choices:
        stream.chunk([{"text": "", "index": c.index, "logprobs": None, "finish_reason": c.finish}])
    stream.end(answer.usage(defects) if usage else None)
    return stream
