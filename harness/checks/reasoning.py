"""Reasoning: a reasoning model's answer carries its reasoning and a final answer, plain or streamed.

Two forms count, as schema reasoning.json describes them: Databricks content blocks (at least one
reasoning block, each with a non-empty summary whose parts have text, and a text block with the
answer), or the vLLM/DeepSeek style (a non-empty reasoning_content beside a content string).
A choice cut by the token limit, or one that calls tools, may lack the answer: only its reasoning
is judged.
"""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import chat_completion, choices, from_stream, message, tool_calls
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


@check(
    "reasoning.content",
    "a reasoning model's message has reasoning (Databricks reasoning blocks with summary text, or"
    " reasoning_content) and an answer (a text block, or the content string)",
    applies=lambda ex: ex.family == "reasoning" and bool(choices(chat_completion(ex) or {})),
    level="compat",
    why=(
        "Databricks documents reasoning answers as content blocks (reasoning with summary text, then "
        "text); vLLM as reasoning_content."
    ),
    breaks=(
        "MLflow and Databricks clients that read the reasoning blocks; UIs that show the reasoning summary"
    ),
)
def content(ex: Exchange) -> None:
    for position, choice in choices(chat_completion(ex) or {}):
        msg = message(choice)
        body = msg.get("content")
        path = f"$.choices[{position}].message.content"
        needs_answer = choice.get("finish_reason") != "length" and not tool_calls(choice)
        if isinstance(body, list):
            _blocks(ex, body, path, needs_answer)
        elif not _said(msg.get("reasoning_content")):
            raise CheckFailed(
                f"expected reasoning (content blocks, or reasoning_content), got content of type"
                f" {type(body).__name__} and no reasoning_content{from_stream(ex)}",
                path,
            )
        elif needs_answer and not _said(body):
            raise CheckFailed(
                f"expected an answer beside reasoning_content, got {body!r}{from_stream(ex)}", path
            )
