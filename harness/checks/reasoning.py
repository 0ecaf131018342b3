"""Reasoning: a reasoning model's answer carries its reasoning and a final answer, plain or streamed.

Three forms count: Databricks content blocks (at least one reasoning block, each with a non-empty
summary whose parts have text, and a text block with the answer), the vLLM/DeepSeek style (a
non-empty reasoning_content, or `reasoning` as vLLM now names it, beside a content string), as
schema reasoning.json describes them,
and OpenAI's hidden reasoning (a content string, the reasoning counted in
usage.completion_tokens_details.reasoning_tokens, which completion_tokens include).
A choice cut by the token limit, or one that calls tools, may lack the answer: only its reasoning
is judged. A stream that shows no reasoning and reports no usage cannot be judged.
"""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import chat_completion, choices, from_stream, integer, message, streamed, tool_calls
from harness.families.reassembly import REASONING_FIELDS
from harness.wire.exchange import Exchange


def _said(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _blocks(ex: Exchange, content: list[Any], path: str, needs_answer: bool) -> None:
    kinds = [block.get("type") if isinstance(block, dict) else None for block in content]
    if "reasoning" not in kinds:
        raise CheckFailed(f"expected a reasoning block, got block types {kinds}{from_stream(ex)}", path)
    for k, block in enumerate(content):
        if kinds[k] != "reasoning":
            continue
        summary = block.get("summary")
        if not isinstance(summary, list) or not summary:
            raise CheckFailed(
                f"expected a non-empty reasoning summary, got {summary!r}{from_stream(ex)}",
                f"{path}[{k}].summary",
            )
        for m, part in enumerate(summary):
            if not _said(part.get("text") if isinstance(part, dict) else None):
                raise CheckFailed(
                    f"expected summary text, got {part!r}{from_stream(ex)}", f"{path}[{k}].summary[{m}].text"
                )
    answered = any(kinds[k] == "text" and _said(block.get("text")) for k, block in enumerate(content))
    if needs_answer and not answered:
        raise CheckFailed(f"expected a text block with the answer, got none{from_stream(ex)}", path)


def _reasoned(msg: dict[str, Any]) -> bool:
    """Reasoning text beside the answer: reasoning_content, or vLLM's newer `reasoning`."""
    return any(_said(msg.get(key)) for key in REASONING_FIELDS)


def reasoning_tokens(doc: dict[str, Any]) -> int | None:
    """usage.completion_tokens_details.reasoning_tokens, where an answer reports it."""
    usage = doc.get("usage")
    details = usage.get("completion_tokens_details") if isinstance(usage, dict) else None
    return integer(details.get("reasoning_tokens")) if isinstance(details, dict) else None


def _judgeable(ex: Exchange) -> bool:
    doc = chat_completion(ex) or {}
    if ex.family != "reasoning" or not choices(doc):
        return False
    if not streamed(ex) or isinstance(doc.get("usage"), dict):
        return True
    return any(isinstance(message(c).get("content"), list) or _reasoned(message(c)) for _, c in choices(doc))


@check(
    "reasoning.content",
    "a reasoning model's message has reasoning (Databricks reasoning blocks with summary text,"
    " reasoning_content, or reasoning tokens counted in usage) and an answer (a text block, or the"
    " content string)",
    applies=_judgeable,
    level="compat",
    why=(
        "Databricks documents reasoning answers as content blocks (reasoning with summary text, then "
        "text); vLLM as reasoning_content; OpenAI hides the reasoning and counts it in usage."
    ),
    breaks=(
        "MLflow and Databricks clients that read the reasoning blocks; UIs that show the reasoning summary"
    ),
)
def content(ex: Exchange) -> None:
    doc = chat_completion(ex) or {}
    hidden = reasoning_tokens(doc) is not None
    for position, choice in choices(doc):
        msg = message(choice)
        body = msg.get("content")
        path = f"$.choices[{position}].message.content"
        needs_answer = choice.get("finish_reason") != "length" and not tool_calls(choice)
        if isinstance(body, list):
            _blocks(ex, body, path, needs_answer)
        elif not _reasoned(msg) and not hidden:
            raise CheckFailed(
                f"expected reasoning (content blocks, reasoning_content, or"
                f" usage.completion_tokens_details.reasoning_tokens), got content of type"
                f" {type(body).__name__}, no reasoning_content and no reasoning tokens{from_stream(ex)}",
                path,
            )
        elif needs_answer and not _said(body):
            raise CheckFailed(
                f"expected an answer beside reasoning_content, got {body!r}{from_stream(ex)}", path
            )


@check(
    "reasoning.tokens",
    "reasoning tokens (usage.completion_tokens_details.reasoning_tokens) are within completion_tokens",
    applies=lambda ex: ex.family == "reasoning" and reasoning_tokens(chat_completion(ex) or {}) is not None,
    level="compat",
    why="OpenAI counts reasoning tokens inside completion_tokens: they are billed as output.",
    breaks="cost dashboards and token budgets that subtract reasoning from completion tokens",
)
def tokens(ex: Exchange) -> None:
    doc = chat_completion(ex) or {}
    reasoning = reasoning_tokens(doc)
    completion = integer(doc["usage"].get("completion_tokens"))  # a dict: reasoning_tokens came from it
    if reasoning is None or reasoning < 0 or (completion is not None and reasoning > completion):
        raise CheckFailed(
            f"expected 0 <= reasoning_tokens <= completion_tokens ({completion}), got {reasoning}"
            f"{from_stream(ex)}",
            "$.usage.completion_tokens_details.reasoning_tokens",
        )
