"""Streaming checks: SSE framing, the [DONE] terminator, and what the chunks of one completion must agree on.

Paths point into the stream as `events[i]...` (the i-th SSE event, counting from 0). What the
reassembled body means (usage, choices, tool calls ...) is judged by the chat/tools/... checks.
"""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.schema import RESPONSE_SCHEMAS, schema_failure
from harness.checks.views import (
    CHAT_FAMILIES,
    GENERATION_FAMILIES,
    chunks,
    completion,
    event_path,
    integer,
    request_body,
    shorten,
    streamed,
)
from harness.families import payload_of
from harness.families.reassembly import REASONING_FIELDS
from harness.schemas.registry import registry
from harness.wire.exchange import Exchange
from harness.wire.limits import MAX_ERRORS
from harness.wire.streams import DONE

SHOWN = 3  # framing problems quoted in one message


def _chunked(ex: Exchange) -> bool:
    """A stream of chunks (chat, completions): [DONE], one id, choices with finish reasons. The
    Responses API's typed events have none of those (harness/checks/responses.py judges them)."""
    return streamed(ex) and payload_of(ex.family).stream_format == "chunks"


def _choices(ex: Exchange) -> list[tuple[int, int, int, dict[str, Any]]]:
    """(event index, position in the chunk, choice index, choice) for every indexed choice of the stream."""
    found = []
    for i, chunk in chunks(ex):
        items = chunk.get("choices")
        for j, choice in enumerate(items if isinstance(items, list) else []):
            index = integer(choice.get("index")) if isinstance(choice, dict) else None
            if index is not None:
                found.append((i, j, index, choice))
    return found


@check(
    "stream.framing",
    "the raw body is well-formed SSE (comments and CRLF line ends are fine)",
    applies=streamed,
    level="spec",
    why=(
        "Server-sent events: data: lines ending in a blank line. A client that cannot frame events reads "
        "nothing."
    ),
    breaks=(
        "every SSE reader: the openai SDK's stream, MLflow predict_stream (rejects any line but data:), "
        "httpx-sse"
    ),
)
def framing(ex: Exchange) -> None:
    problems = ex.response.framing
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise CheckFailed(f"expected well-formed SSE, got: {'; '.join(problems[:SHOWN])}{more}")


@check(
    "stream.done",
    "the stream ends with a data: [DONE] event, and has it nowhere else",
    applies=_chunked,
    level="spec",
    why="The stream ends with data: [DONE]; without it a client cannot tell the end from a cut connection.",
    breaks="the openai SDK and LangChain treat a missing [DONE] as a broken stream or hang until timeout",
)
def done(ex: Exchange) -> None:
    events = ex.response.events or []
    if not events:
        raise CheckFailed("expected a stream ending with [DONE], got no events")
    if events[-1].data != DONE:
        raise CheckFailed(
            f"expected the last event to be [DONE], got {shorten(events[-1].data)!r}",
            event_path(len(events) - 1),
        )
    early = next((i for i, event in enumerate(events[:-1]) if event.data == DONE), None)
    if early is not None:
        raise CheckFailed(
            f"expected [DONE] only as the last event, got it at event {early} of {len(events)}",
            event_path(early),
        )


@check(
    "stream.identity",
    "every chunk carries the same id and the same created",
    applies=_chunked,
    level="compat",
    why="One stream is one completion: one id and one created across its chunks.",
    breaks="stream accumulators keyed by id (LangChain's chunk merging, LiteLLM's stream wrapper)",
)
def identity(ex: Exchange) -> None:
    for key in ("id", "created"):
        stated = [(i, chunk[key]) for i, chunk in chunks(ex) if key in chunk]
        if not stated:
            continue  # the chunk schema requires both keys
        first_event, first = stated[0]
        for i, value in stated[1:]:
            if value != first:
                raise CheckFailed(
                    f"expected every chunk to have {key} {first!r} (as event {first_event}), got {value!r}",
                    event_path(i, f"$.{key}"),
                )


@check(
    "stream.role",
    "the first delta of every choice has role 'assistant'",
    applies=lambda ex: streamed(ex) and ex.family in CHAT_FAMILIES,
    level="compat",
    why="OpenAI's first delta carries role 'assistant'; accumulators start the message from it.",
    breaks=(
        "hand-written accumulators and some LangChain versions that build the message from the first delta"
    ),
)
def role(ex: Exchange) -> None:
    seen: set[int] = set()
    for i, j, index, choice in _choices(ex):
        if index in seen:
            continue
        seen.add(index)
        delta = choice.get("delta")
        got = delta.get("role") if isinstance(delta, dict) else None
        if got != "assistant":
            raise CheckFailed(
                f"expected role 'assistant' in the first delta of choice {index}, got {got!r}",
                event_path(i, f"$.choices[{j}].delta.role"),
            )


@check(
    "stream.finish_reason",
    "every choice gets exactly one non-null finish_reason",
    applies=_chunked,
    level="compat",
    why="Exactly one finish_reason per choice marks its end; none or two leave the end undefined.",
    breaks=(
        "stream consumers that stop reading or dispatch tools on finish_reason (agents, the openai SDK's "
        "ChatCompletionStreamState)"
    ),
)
def finish_reason(ex: Exchange) -> None:
    finished: dict[int, str] = {}
    last_seen: dict[int, str] = {}  # where each choice last appeared, for the path of a missing reason
    for i, j, index, choice in _choices(ex):
        path = event_path(i, f"$.choices[{j}].finish_reason")
        last_seen[index] = path
        reason = choice.get("finish_reason")
        if reason is None:
            continue
        if index in finished:
            raise CheckFailed(
                f"expected one finish_reason for choice {index}, got {reason!r} after {finished[index]!r}",
                path,
            )
        finished[index] = reason
    missing = sorted(last_seen.keys() - finished.keys())
    if missing:
        raise CheckFailed(
            f"expected a finish_reason for choice {missing[0]}, got none", last_seen[missing[0]]
        )


def _carried(choice: dict[str, Any]) -> str | None:
    """What a chunk's choice adds to the answer (content, a tool call, reasoning, a refusal), if anything."""
    delta = choice.get("delta")
    if isinstance(choice.get("text"), str) and choice["text"]:
        return "text"
    for key in ("content", "tool_calls", *REASONING_FIELDS, "refusal"):
        if isinstance(delta, dict) and delta.get(key):
            return key
    return None


@check(
    "stream.after_finish",
    "nothing arrives for a choice after its finish_reason: no content, tool call, reasoning or refusal",
    applies=_chunked,
    level="compat",
    why="finish_reason ends a choice: a client stops reading it there (and runs the tools it called).",
    breaks=(
        "agents that dispatch tool calls on finish_reason, UIs that close the message: the rest is lost or"
        " shown twice"
    ),
)
def after_finish(ex: Exchange) -> None:
    finished: dict[int, int] = {}
    for i, j, index, choice in _choices(ex):
        what = _carried(choice)
        if index in finished and what:
            raise CheckFailed(
                f"expected nothing for choice {index} after its finish_reason (event {finished[index]}), got"
                f" {what}",
                event_path(i, f"$.choices[{j}]"),
            )
        if choice.get("finish_reason") is not None:
            finished.setdefault(index, i)


def _usage_requested(ex: Exchange) -> bool:
    options = request_body(ex).get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


@check(
    "stream.usage",
    "with stream_options.include_usage, the last chunk before [DONE] has choices [] and the usage",
    applies=lambda ex: streamed(ex) and _usage_requested(ex),
    level="spec",
    why=(
        "With stream_options.include_usage the reference promises a last chunk with empty choices and the"
        " usage."
    ),
    breaks=(
        "token accounting of streamed calls in LiteLLM, LangChain (stream_usage=True) and metering proxies"
    ),
)
def usage(ex: Exchange) -> None:
    found = chunks(ex)
    if not found:
        raise CheckFailed("expected a final usage chunk, got no chunks")
    i, last = found[-1]
    items = last.get("choices")
    if items != [] or not isinstance(last.get("usage"), dict):
        count = (
            f"{len(items)} choice(s)" if isinstance(items, list) else f"choices {shorten(repr(items), 40)}"
        )
        raise CheckFailed(
            "expected the last chunk to carry usage with choices [] (include_usage was requested), got"
            f" {count} and usage {shorten(repr(last.get('usage')), 60)}",
            event_path(i),
        )


@check(
    "stream.reassembled",
    "the chunks reassemble into a body valid against the plain response schema",
    applies=lambda ex: streamed(ex) and ex.family in GENERATION_FAMILIES,
    level="compat",
    why=(
        "The chunks must add up to a valid completion: what a streaming client shows is what a plain call"
        " returns."
    ),
    breaks="every streaming UI and the openai SDK's stream helpers (get_final_completion)",
)
def reassembled(ex: Exchange) -> None:
    name = RESPONSE_SCHEMAS[ex.family]
    errors, total = registry().some_errors(name, completion(ex), MAX_ERRORS)
    if errors:
        raise schema_failure(name, errors, " once the stream is reassembled", total)
