"""Adaptive checks: a replay of the target's own base answer (harness/contract/adaptive.py) must honour
what it was asked, where the harness could not have known the text in advance.

Each judges a replay only while it is the base answer's text (the target answered the same
deterministic request the same way): a replay that went another way says nothing about the stop or
the limit, and the run reports it as not judged.
"""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import chat_completion, choices, integer, output_text, shorten, usage_counts
from harness.wire.exchange import Exchange


def _first(ex: Exchange) -> tuple[str | None, Any, dict[str, Any]]:
    """The first choice's text and finish_reason, and the whole answer."""
    doc = chat_completion(ex) or {}
    found = choices(doc)
    if not found:
        return None, None, doc
    choice = found[0][1]
    return output_text(ex, choice), choice.get("finish_reason"), doc


def _before_stop(ex: Exchange) -> str:
    base, stop = ex.context["base_text"], ex.context["stop"]
    return base[: base.index(stop)]


def _stop_comparable(ex: Exchange) -> bool:
    if "stop" not in ex.context:
        return False
    text = _first(ex)[0]
    return text is not None and text.startswith(_before_stop(ex))


@check(
    "adaptive.stop",
    "a stop sequence taken from the target's own answer to the same deterministic request ends the"
    " replay right before it, with finish_reason 'stop'",
    applies=_stop_comparable,
    level="spec",
    why=(
        "Generation halts at a stop sequence and the sequence is not returned; a random stop string"
        " rarely occurs in a live answer, one taken from the answer itself always does."
    ),
    breaks="ReAct agents and few-shot templates that end each step with a stop sequence",
)
def stop(ex: Exchange) -> None:
    text, reason, _ = _first(ex)
    expected = _before_stop(ex)
    if text != expected:
        raise CheckFailed(
            f"expected the replay to end before stop sequence {ex.context['stop']!r} after"
            f" {len(expected)} characters, got {len(text or '')}:"
            f" ...{shorten(repr((text or '')[len(expected) :]), 60)}",
            "$.choices[0].message.content",
        )
    if reason != "stop":
        raise CheckFailed(
            f"expected finish_reason 'stop' where the stop sequence ended the replay, got {reason!r}",
            "$.choices[0].finish_reason",
        )


def _length_comparable(ex: Exchange) -> bool:
    if "base_tokens" not in ex.context:
        return False
    text = _first(ex)[0]
    return text is not None and ex.context["base_text"].startswith(text)


@check(
    "adaptive.length",
    "max_tokens under the token count of the target's own answer to the same deterministic request cuts"
    " the replay: finish_reason 'length', completion_tokens = max_tokens",
    applies=_length_comparable,
    level="spec",
    why="max_tokens caps the generated tokens; finish_reason 'length' says the cap cut the output.",
    breaks="cost caps, and continuation logic that asks for more after 'length' (LangChain, LlamaIndex)",
)
def length(ex: Exchange) -> None:
    text, reason, doc = _first(ex)
    limit, base_tokens = integer((ex.request.body or {}).get("max_tokens")), ex.context["base_tokens"]
    counts = usage_counts(doc)
    if reason != "length":
        whole = " (the whole base answer)" if text == ex.context["base_text"] else ""
        raise CheckFailed(
            f"expected finish_reason 'length' when max_tokens {limit} cuts an answer of {base_tokens} tokens,"
            f" got {reason!r}{whole}",
            "$.choices[0].finish_reason",
        )
    if counts is not None and counts[1] != limit:
        raise CheckFailed(
            f"expected completion_tokens {limit} (max_tokens) in an answer cut by it, got {counts[1]}",
            "$.usage.completion_tokens",
        )
