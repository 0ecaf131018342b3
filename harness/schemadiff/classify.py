"""Whom a change breaks, from its effect and the schema's direction.

Request schemas are written by clients and read by servers; response schemas the other way round.
Narrowing breaks the writer (payloads it sent are now rejected); widening breaks the reader (it may get
payloads it does not handle). A change that does both breaks both; one with no effect breaks nobody.
"""

from __future__ import annotations

from typing import Literal

from harness.schemadiff.compare import Effect

Direction = Literal["request", "response"]
_RESPONSES = ("_response", "_chunk")
_RESPONSE_NAMES = ("error", "databricks_error", "models_list")


def direction(name: str) -> Direction | None:
    """request, response, or None for shared definition files (compared through their users)."""
    if name.endswith("_request"):
        return "request"
    if name.endswith(_RESPONSES) or name in _RESPONSE_NAMES:
        return "response"
    return None


def breaking_for(effect: Effect, way: Direction) -> tuple[str, ...]:
    """The parties a change breaks: () for none, ("clients",), ("servers",) or both."""
    writer, reader = ("clients", "servers") if way == "request" else ("servers", "clients")
    return {
        Effect.NARROWER: (writer,),
        Effect.WIDER: (reader,),
        Effect.BOTH: ("clients", "servers"),
        Effect.NONE: (),
    }[effect]
