"""Whom a change breaks, from its effect and the schema's direction.

Request schemas are written by clients and read by servers; response schemas the other way round.
Narrowing breaks the writer (payloads it sent are now rejected); widening breaks the reader (it may get
payloads it does not handle). A change that does both breaks both; one with no effect breaks nobody.
A schema whose direction is unknown counts as breaking whoever it would break in either direction.

A schema's direction, first found wins: `--direction`; the file's own `"x-servecheck-direction"`
keyword; its name (`*_request`; `*_response`, `*_chunk` and the project's error and model-list schemas).
"""

from __future__ import annotations

from typing import Any, Literal

from harness.schemadiff.compare import Effect

Direction = Literal["request", "response", "unknown"]
DIRECTIONS: tuple[Direction, ...] = ("request", "response", "unknown")
DIRECTION_KEYWORD = "x-servecheck-direction"
_RESPONSES = ("_response", "_chunk")
_RESPONSE_NAMES = ("error", "databricks_error", "models_list")


def direction(name: str, schema: dict[str, Any] | None = None, given: Direction | None = None) -> Direction:
    """Which way a schema's payloads travel: `given`, else the schema's keyword, else its name."""
    if given is not None:
        return given
    declared = (schema or {}).get(DIRECTION_KEYWORD)
    if declared in DIRECTIONS:
        return declared
    if name.endswith("_request"):
        return "request"
    if name.endswith(_RESPONSES) or name in _RESPONSE_NAMES:
        return "response"
    return "unknown"


def breaking_for(effect: Effect, way: Direction) -> tuple[str, ...]:
    """The parties a change breaks: () for none, ("clients",), ("servers",) or both."""
    if way == "unknown":
        either = set(breaking_for(effect, "request")) | set(breaking_for(effect, "response"))
        return tuple(sorted(either))
    writer, reader = ("clients", "servers") if way == "request" else ("servers", "clients")
    return {
        Effect.NARROWER: (writer,),
        Effect.WIDER: (reader,),
        Effect.BOTH: ("clients", "servers"),
        Effect.NONE: (),
    }[effect]
