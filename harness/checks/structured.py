"""Structured outputs: with response_format json_schema or json_object, the content is the JSON asked for.

Judged per choice that finished normally: a choice cut by the token limit or the content filter, one
that refused, and one that called tools instead carry no complete answer to judge.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.checks.base import CheckFailed, check
from harness.checks.views import (
    chat_completion,
    choices,
    from_stream,
    message,
    output_path,
    output_text,
    request_body,
    shorten,
    tool_calls,
    user_schema_problem,
)
from harness.wire.exchange import Exchange


def response_format(ex: Exchange) -> tuple[str | None, Any]:
    """(type, the user's schema when the type is json_schema)."""
    fmt = request_body(ex).get("response_format")
    if not isinstance(fmt, dict):
        return None, None
    spec = fmt.get("json_schema")
    return fmt.get("type"), spec.get("schema") if isinstance(spec, dict) else None


def _answered_choices(ex: Exchange) -> list[tuple[str, str | None]]:
    """(path, content text) of each choice whose content should be the requested JSON."""
    doc = chat_completion(ex) or {}
    return [
        (output_path(ex, position), output_text(ex, choice))
        for position, choice in choices(doc)
        if choice.get("finish_reason") not in ("length", "content_filter")
        and not message(choice).get("refusal")
        and not tool_calls(choice)
    ]


def _parsed(ex: Exchange, path: str, text: str | None) -> Any:
    if text is None:
        raise CheckFailed(f"expected JSON content, got none{from_stream(ex)}", path)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise CheckFailed(f"expected JSON content, got {shorten(text)!r}{from_stream(ex)}", path) from None


@check(
    "structured.json_schema",
    "with response_format json_schema, the content parses and validates against the requested schema",
    applies=lambda ex: response_format(ex)[0] == "json_schema" and bool(_answered_choices(ex)),
    level="spec",
    why="Structured outputs guarantee content valid against the requested json_schema.",
    breaks="client.chat.completions.parse() in the openai SDK, LangChain with_structured_output, instructor",
)
def json_schema(ex: Exchange) -> None:
    schema = response_format(ex)[1]
    for path, text in _answered_choices(ex):
        problem = user_schema_problem(schema if isinstance(schema, dict) else {}, _parsed(ex, path, text))
        if problem is not None:
            raise CheckFailed(
                f"expected content valid against the requested schema, got at {problem}{from_stream(ex)}",
                path,
            )


@check(
    "structured.json_object",
    "with response_format json_object, the content parses to a JSON object",
    applies=lambda ex: response_format(ex)[0] == "json_object" and bool(_answered_choices(ex)),
    level="spec",
    why="JSON mode guarantees content that parses to a JSON object.",
    breaks="code that json.loads the content of a JSON-mode answer",
)
def json_object(ex: Exchange) -> None:
    for path, text in _answered_choices(ex):
        if not isinstance(_parsed(ex, path, text), dict):
            raise CheckFailed(f"expected a JSON object, got {shorten(text or '')!r}{from_stream(ex)}", path)
