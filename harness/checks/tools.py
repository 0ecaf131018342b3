"""Tool-calling checks, plain or streamed: tool_choice honoured, declared names, arguments fit their schema.

The `parameters` of a declared function are the user's JSON Schema, so they are applied with the
jsonschema library (Draft 2020-12), not restated.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.checks.base import CheckFailed, check
from harness.checks.views import (
    chat_completion,
    choices,
    from_stream,
    request_body,
    shorten,
    tool_calls,
    user_schema_problem,
)
from harness.wire.exchange import Exchange

Call = tuple[str, dict[str, Any], dict[str, Any]]  # (JSON path of the call, its choice, the call)


def declared(ex: Exchange) -> dict[str, Any]:
    """Declared function name -> its `parameters` schema (None when it declares none)."""
    tools = request_body(ex).get("tools")
    found: dict[str, Any] = {}
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            found[function["name"]] = function.get("parameters")
    return found


def calls(ex: Exchange) -> list[Call]:
    doc = chat_completion(ex)
    if doc is None:
        return []
    return [
        (f"$.choices[{position}].message.tool_calls[{k}]", choice, call)
        for position, choice in choices(doc)
        for k, call in tool_calls(choice)
    ]


def called_name(call: dict[str, Any]) -> Any:
    function = call.get("function")
    return function.get("name") if isinstance(function, dict) else None


def calls_declared(call: dict[str, Any], known: dict[str, Any]) -> bool:
    name = called_name(call)
    return isinstance(name, str) and name in known


def forced(ex: Exchange) -> str | None:
    """What tool_choice demands: "none", "required", the named function, or None when it leaves it open."""
    choice = request_body(ex).get("tool_choice")
    if choice in ("none", "required"):
        return choice
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return function["name"]
    return None


@check(
    "tools.choice",
    "tool_choice is honoured: 'required' -> every choice calls a tool, a named function -> only that"
    " function, 'none' -> no calls",
    applies=lambda ex: chat_completion(ex) is not None and forced(ex) is not None,
    level="spec",
    why="tool_choice 'required' or a named function obliges the model to call it; 'none' forbids calls.",
    breaks="agents and extraction code that force a tool call (LangChain with_structured_output, instructor)",
)
def choice_honoured(ex: Exchange) -> None:
    demand = forced(ex)
    doc = chat_completion(ex) or {}
    for position, choice in choices(doc):
        made = tool_calls(choice)
        path = f"$.choices[{position}].message.tool_calls"
        if demand == "none":
            if made:
                raise CheckFailed(
                    f"expected no tool calls (tool_choice 'none'), got {len(made)}{from_stream(ex)}", path
                )
            continue
        if not made:
            raise CheckFailed(
                f"expected a tool call (tool_choice {demand!r}), got none{from_stream(ex)}", path
            )
        if demand == "required":
            continue
        for k, call in made:
            if called_name(call) != demand:
                raise CheckFailed(
                    f"expected a call to {demand!r} (tool_choice names it), got {called_name(call)!r}"
                    f"{from_stream(ex)}",
                    f"{path}[{k}].function.name",
                )


@check(
    "tools.names",
    "every tool call names a function the request declared",
    applies=lambda ex: bool(calls(ex)),
    level="spec",
    why="A call may only name a function the request declared.",
    breaks="agent loops that look the function up by name and fail on an unknown one",
)
def names(ex: Exchange) -> None:
    known = declared(ex)
    for path, _, call in calls(ex):
        if not calls_declared(call, known):
            name = called_name(call)
            wanted = f"one of {sorted(known)}" if known else "no call (the request declares no tools)"
            raise CheckFailed(
                f"expected {wanted}, got a call to {name!r}{from_stream(ex)}", f"{path}.function.name"
            )


def _judged(ex: Exchange) -> list[Call]:
    """Calls to declared functions, except in choices cut by the token limit (their arguments may be cut)."""
    known = declared(ex)
    return [
        (path, choice, call)
        for path, choice, call in calls(ex)
        if calls_declared(call, known) and choice.get("finish_reason") != "length"
    ]


@check(
    "tools.arguments",
    "tool call arguments are a JSON object valid against the declared function's parameters",
    applies=lambda ex: bool(_judged(ex)),
    level="compat",
    why="Arguments are JSON that the declared parameters schema accepts (guaranteed with strict: true).",
    breaks=(
        "tool dispatchers that json.loads the arguments and validate them (the openai SDK's parse "
        "helpers, pydantic-based agents)"
    ),
)
def arguments(ex: Exchange) -> None:
    known = declared(ex)
    for path, _, call in _judged(ex):
        name = called_name(call)
        text = call["function"].get("arguments")
        if not isinstance(text, str):
            continue  # the schema reports arguments that are not a string
        where = f"{path}.function.arguments"
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise CheckFailed(
                f"expected {name!r} arguments to be JSON, got {shorten(text)!r}{from_stream(ex)}", where
            ) from None
        if not isinstance(value, dict):
            raise CheckFailed(
                f"expected {name!r} arguments to be a JSON object, got {shorten(text)!r}{from_stream(ex)}",
                where,
            )
        schema = known[name]
        if not isinstance(schema, dict):
            continue
        problem = user_schema_problem(schema, value)
        if problem is not None:
            wanted = f"expected {name!r} arguments valid against its parameters"
            raise CheckFailed(f"{wanted}, got at {problem}{from_stream(ex)}", where)
