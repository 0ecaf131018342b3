"""Log probabilities: asked for (`logprobs: true`), each choice's text comes with one entry per token.

Judged per choice that answered in text: its logprobs.content is a list; every logprob (and every
top_logprobs alternative) is a finite number <= 0; each entry has `top_logprobs` alternatives, in
descending order; the tokens (their bytes, where given) join to the choice's text; with one choice
and no reasoning, there is one entry per completion token.
"""

from __future__ import annotations

import math
from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import (
    chat_completion,
    choices,
    from_stream,
    integer,
    message,
    request_body,
    shorten,
    tool_calls,
    usage_counts,
)
from harness.families.reassembly import REASONING_FIELDS
from harness.wire.exchange import Exchange


def _asked(ex: Exchange) -> bool:
    return request_body(ex).get("logprobs") is True


def _text_choices(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    doc = chat_completion(ex) or {}
    found = []
    for position, choice in choices(doc):
        content = message(choice).get("content")
        if isinstance(content, str) and content and not tool_calls(choice):
            found.append((position, choice))
    return found


def _probability(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value <= 0


def _joined(entries: list[Any]) -> str | None:
    """The text the entries spell: their bytes decoded when every entry gives bytes, else the tokens."""
    if all(isinstance(e.get("bytes"), list) for e in entries):
        try:
            return bytes(b for e in entries for b in e["bytes"]).decode("utf-8")
        except (ValueError, TypeError):
            return None
    tokens = [e.get("token") for e in entries]
    return "".join(tokens) if all(isinstance(t, str) for t in tokens) else None


def _entry_problem(entry: dict[str, Any], wanted: int) -> tuple[str, str] | None:
    """(what is wrong, the field) with one token's entry, or None."""
    if not _probability(entry.get("logprob")):
        return f"expected a logprob <= 0, got {entry.get('logprob')!r}", "logprob"
    top = entry.get("top_logprobs") or []
    if len(top) != wanted:
        return f"expected {wanted} top_logprobs (as asked), got {len(top)}", "top_logprobs"
    values = [alt.get("logprob") if isinstance(alt, dict) else None for alt in top]
    if not all(_probability(v) for v in values) or values != sorted(values, reverse=True):
        return f"expected top_logprobs <= 0 in descending order, got {values}", "top_logprobs"
    return None


@check(
    "chat.logprobs",
    "with logprobs, each choice's text comes with one entry per token: logprobs <= 0, top_logprobs"
    " alternatives as asked and in order, tokens that spell the text",
    applies=lambda ex: _asked(ex) and bool(_text_choices(ex)),
    level="compat",
    why=(
        "logprobs are log probabilities (never above 0), one per generated token; clients score, rank and"
        " highlight answers with them."
    ),
    breaks="confidence scoring, classification by token probability, LangChain's logprobs in generation_info",
)
def logprobs(ex: Exchange) -> None:
    wanted = integer(request_body(ex).get("top_logprobs")) or 0
    found = _text_choices(ex)
    for position, choice in found:
        path = f"$.choices[{position}].logprobs"
        block = choice.get("logprobs")
        entries = block.get("content") if isinstance(block, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise CheckFailed(
                f"expected logprobs.content entries, got {shorten(repr(block))}{from_stream(ex)}", path
            )
        for k, entry in enumerate(entries):
            problem = _entry_problem(entry, wanted)
            if problem:
                raise CheckFailed(problem[0] + from_stream(ex), f"{path}.content[{k}].{problem[1]}")
        text, joined = message(choice)["content"], _joined(entries)
        if joined != text:
            got = shorten(repr(joined))
            raise CheckFailed(f"expected tokens spelling {shorten(text)!r}, got {got}{from_stream(ex)}", path)
    counts = usage_counts(chat_completion(ex) or {})
    reasoning = any(message(c).get(key) for _, c in found for key in REASONING_FIELDS)
    if len(found) == 1 and counts is not None and not reasoning:
        position, choice = found[0]
        entries = choice["logprobs"]["content"]
        if len(entries) != counts[1]:
            raise CheckFailed(
                f"expected one logprobs entry per completion token ({counts[1]}), got {len(entries)}"
                f"{from_stream(ex)}",
                f"$.choices[{position}].logprobs.content",
            )
