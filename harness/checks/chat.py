"""Generation semantics the schemas cannot state, for chat and completions, plain or streamed.

Usage adds up, the choices are the n asked for, finish reasons fit the request, the token limit is
honoured, stop sequences stay out of the output, and the response names itself plausibly.
"""

from __future__ import annotations

import time
from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import (
    choices,
    completion,
    from_stream,
    integer,
    message,
    output_path,
    output_text,
    request_body,
    tool_calls,
    usage_counts,
)
from harness.wire.exchange import Exchange

EPOCH_FLOOR = 1_577_836_800  # 2020-01-01: no OpenAI-compatible server answered before that
CLOCK_SKEW = 86_400  # seconds a target's clock may run ahead of ours


def _doc(ex: Exchange) -> dict[str, Any]:
    """The body a check's `applies` already found (plain, or reassembled from the stream)."""
    doc = completion(ex)
    assert doc is not None, "run only where applies() holds"
    return doc


def _has_completion(ex: Exchange) -> bool:
    return completion(ex) is not None


def _has_choices(ex: Exchange) -> bool:
    doc = completion(ex)
    return doc is not None and isinstance(doc.get("choices"), list)


def _has_output(ex: Exchange, choice: dict[str, Any]) -> bool:
    refusal = message(choice).get("refusal")
    return bool(output_text(ex, choice) or tool_calls(choice) or (isinstance(refusal, str) and refusal))


@check(
    "chat.usage",
    "usage.total_tokens = prompt_tokens + completion_tokens, and completion_tokens >= 1 when there is output",
    applies=lambda ex: (doc := completion(ex)) is not None and usage_counts(doc) is not None,
    level="spec",
    why=(
        "usage is what billing, quotas and token dashboards read; total_tokens is defined as prompt + "
        "completion."
    ),
    breaks="cost tracking in LiteLLM, LangChain callbacks, MLflow tracing and any metering proxy",
)
def usage(ex: Exchange) -> None:
    doc = _doc(ex)
    counts = usage_counts(doc)
    assert counts is not None, "run only where applies() holds"
    prompt, produced, total = counts
    if total != prompt + produced:
        raise CheckFailed(
            f"expected usage.total_tokens = prompt_tokens + completion_tokens = {prompt} + {produced}"
            f" = {prompt + produced}, got {total}{from_stream(ex)}",
            "$.usage.total_tokens",
        )
    if produced == 0 and any(_has_output(ex, choice) for _, choice in choices(doc)):
        raise CheckFailed(
            f"expected completion_tokens >= 1 for a response with output, got 0{from_stream(ex)}",
            "$.usage.completion_tokens",
        )


def expected_choices(ex: Exchange) -> int:
    """n (default 1), times the number of prompts when a completions request sends a list of them."""
    body = request_body(ex)
    count = integer(body.get("n")) or 1
    prompt = body.get("prompt")
    # A list of strings or of token arrays is a batch of prompts; a list of ints is one tokenised prompt.
    if ex.family == "completions" and isinstance(prompt, list) and prompt:
        count *= len(prompt) if all(isinstance(p, str | list) for p in prompt) else 1
    return count


@check(
    "chat.choices",
    "as many choices as n asked for (times the prompts of a completions batch), indexed 0..n-1 once each",
    applies=_has_choices,
    level="spec",
    why="n asks for n alternatives, each with its index: clients address choices by index.",
    breaks="code reading choices[i] for i < n (the openai SDK returns what came; callers index out of range)",
)
def choice_count(ex: Exchange) -> None:
    items = _doc(ex)["choices"]
    expected = expected_choices(ex)
    if len(items) != expected:
        raise CheckFailed(f"expected {expected} choice(s), got {len(items)}{from_stream(ex)}", "$.choices")
    seen: set[int] = set()
    for position, choice in choices(_doc(ex)):
        index = integer(choice.get("index"))
        if index is None:
            continue  # the schema reports a missing or non-integer index
        if index in seen or not 0 <= index < expected:
            problem = "a repeat" if index in seen else "out of range"
            raise CheckFailed(
                f"expected choice indexes 0..{expected - 1} once each, got {index} ({problem})"
                f"{from_stream(ex)}",
                f"$.choices[{position}].index",
            )
        seen.add(index)


@check(
    "chat.finish_reason",
    "every choice has a finish_reason; 'tool_calls' only when tools were offered and the message calls one",
    applies=_has_choices,
    level="spec",
    why="finish_reason says why generation stopped; 'tool_calls' tells an agent loop to run tools.",
    breaks="agent loops (LangChain, the openai Agents SDK) that branch on finish_reason",
)
def finish_reason(ex: Exchange) -> None:
    body = request_body(ex)
    offered = {
        "tool_calls": bool(body.get("tools")) and body.get("tool_choice") != "none",
        "function_call": bool(body.get("functions")) and body.get("function_call") != "none",
    }
    for position, choice in choices(_doc(ex)):
        path = f"$.choices[{position}].finish_reason"
        reason = choice.get("finish_reason")
        if reason is None:
            raise CheckFailed(f"expected a finish_reason, got null{from_stream(ex)}", path)
        if isinstance(reason, str) and offered.get(reason) is False:
            raise CheckFailed(
                f"expected no finish_reason {reason!r} when the request offers no callable"
                f" {'tools' if reason == 'tool_calls' else 'functions'}, got it{from_stream(ex)}",
                path,
            )
        if reason == "tool_calls" and not tool_calls(choice):
            raise CheckFailed(
                f"expected tool_calls in a message finished by 'tool_calls', got none{from_stream(ex)}",
                f"$.choices[{position}].message.tool_calls",
            )


def token_limit(ex: Exchange) -> int | None:
    """The output token limit the request set: the smaller of max_tokens and max_completion_tokens."""
    body = request_body(ex)
    keys = ("max_tokens",) if ex.family == "completions" else ("max_tokens", "max_completion_tokens")
    limits = [limit for key in keys if (limit := integer(body.get(key))) is not None]
    return min(limits) if limits else None


@check(
    "chat.length",
    "finish_reason 'length' exactly when the token limit cut the output: never without a limit on chat,"
    " and limit x cut choices <= completion_tokens <= limit x choices",
    # A completions request without max_tokens still has a server default (16 on OpenAI): unknown here.
    applies=lambda ex: _has_choices(ex) and (ex.family != "completions" or token_limit(ex) is not None),
    level="compat",
    why=(
        "OpenAI's servers say 'length' exactly when max_tokens cut the output; clients retry or continue "
        "on it."
    ),
    breaks="continuation and truncation handling in LangChain, LlamaIndex and hand-written retry loops",
)
def length(ex: Exchange) -> None:
    doc = _doc(ex)
    limit = token_limit(ex)
    items = choices(doc)
    cut = [position for position, choice in items if choice.get("finish_reason") == "length"]
    if limit is None:
        if cut:
            raise CheckFailed(
                "expected no finish_reason 'length' when the request sets no max_tokens or"
                f" max_completion_tokens, got it{from_stream(ex)}",
                f"$.choices[{cut[0]}].finish_reason",
            )
        return
    counts = usage_counts(doc)
    if counts is None:
        return  # nothing to compare the limit with (a stream without include_usage)
    produced = counts[1]
    # usage sums every choice: each may produce up to `limit`, and each cut one produced exactly `limit`.
    if produced > limit * len(items):
        raise CheckFailed(
            f"expected completion_tokens <= {limit} (limit) x {len(items)} choice(s) = {limit * len(items)},"
            f" got {produced}{from_stream(ex)}",
            "$.usage.completion_tokens",
        )
    if produced < limit * len(cut):
        raise CheckFailed(
            f"expected completion_tokens >= {limit} (limit) x {len(cut)} choice(s) finished by 'length'"
            f" = {limit * len(cut)}, got {produced}: 'length' before the limit was reached{from_stream(ex)}",
            "$.usage.completion_tokens",
        )


def stop_sequences(ex: Exchange) -> list[str]:
    stop = request_body(ex).get("stop")
    sequences = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    return [s for s in sequences if isinstance(s, str) and s]


@check(
    "chat.stop",
    "no stop sequence appears in the generated text",
    # With completions `echo` the prompt is part of the text and may hold a stop sequence.
    applies=lambda ex: _has_choices(ex) and bool(stop_sequences(ex)) and not request_body(ex).get("echo"),
    level="spec",
    why="The reference says the returned text does not contain the stop sequence.",
    breaks="parsers that rely on stop sequences to end structured output (ReAct agents, few-shot templates)",
)
def stop(ex: Exchange) -> None:
    sequences = stop_sequences(ex)
    for position, choice in choices(_doc(ex)):
        text = output_text(ex, choice) or ""
        for sequence in sequences:
            if sequence in text:
                raise CheckFailed(
                    f"expected the output to end before stop sequence {sequence!r}, got it at offset"
                    f" {text.index(sequence)}{from_stream(ex)}",
                    output_path(ex, position),
                )


@check(
    "chat.identity",
    "id and model are non-empty strings; created is plausible Unix seconds (after 2020, not ahead of now)",
    applies=_has_completion,
    level="compat",
    why="id and model identify an answer in logs and traces; created is Unix seconds.",
    breaks=(
        "tracing and caching layers (MLflow tracing, LangSmith, LiteLLM's logging) keyed by id and created"
    ),
)
def identity(ex: Exchange) -> None:
    doc = _doc(ex)
    for key in ("id", "model"):
        value = doc.get(key)
        if isinstance(value, str) and not value.strip():
            raise CheckFailed(f"expected a non-empty {key}, got {value!r}{from_stream(ex)}", f"$.{key}")
    created = integer(doc.get("created"))
    if created is not None and not EPOCH_FLOOR <= created <= time.time() + CLOCK_SKEW:
        hint = " (milliseconds?)" if created > 10**12 else ""
        raise CheckFailed(
            f"expected created in Unix seconds between 2020-01-01 and now, got {created}{hint}"
            f"{from_stream(ex)}",
            "$.created",
        )
