"""Schema conformance: every successful response, and each chunk of a stream, validates against its schema."""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.views import answered, event_path, shorten
from harness.families import GENERATED, PAYLOADS
from harness.schemas.registry import SchemaError, registry
from harness.wire.exchange import Exchange
from harness.wire.limits import MAX_ERRORS
from harness.wire.streams import stream_chunks

# Per contract family, from its payload family (harness/families/).
RESPONSE_SCHEMAS = {f.name: PAYLOADS[f.payload].response_schema for f in GENERATED}
CHUNK_SCHEMAS = {f.name: PAYLOADS[f.payload].chunk_schema for f in GENERATED if PAYLOADS[f.payload].streams}
SHOWN = 3  # errors quoted in one message


def schema_failure(name: str, errors: list[SchemaError], where: str = "", total: int = 0) -> CheckFailed:
    """A failure quoting the first few errors, located at the first one; `total`: all there were."""
    total = max(total, len(errors))
    quoted = "; ".join(f"{e.path}: {shorten(e.message, 160)}" for e in errors[:SHOWN])
    more = f" (and {total - SHOWN:,} more)" if total > SHOWN else ""
    return CheckFailed(
        f"expected a valid {name}{where}, got {total:,} schema error(s): {quoted}{more}", errors[0].path
    )


def require_valid(name: str, body: Any) -> None:
    """Raise the schema failure of `body` against the schema `name`, if it has errors."""
    errors = registry().errors(name, body)
    if errors:
        raise schema_failure(name, errors)


def _applies(ex: Exchange) -> bool:
    if not answered(ex):
        return False
    if ex.request.stream:
        return ex.family in CHUNK_SCHEMAS and ex.response.events is not None
    return ex.family in RESPONSE_SCHEMAS and ex.response.json is not None


@check(
    "schema.response",
    "a 2xx body validates against its family's response schema (each chunk against the chunk schema)",
    applies=_applies,
    level="spec",
    why=(
        "The response schemas are the OpenAI API reference's: a missing or mistyped field is a field a "
        "client reads and does not get."
    ),
    breaks=(
        "typed clients: the openai SDK's pydantic models (fields read as None or raise), LangChain's "
        "message conversion, MLflow's response parsing"
    ),
)
def response(ex: Exchange) -> None:
    if not ex.request.stream:
        name = RESPONSE_SCHEMAS[ex.family]
        errors, total = registry().some_errors(name, ex.response.json, MAX_ERRORS)
        if errors:
            raise schema_failure(name, errors, total=total)
        return
    name = CHUNK_SCHEMAS[ex.family]
    found: list[SchemaError] = []
    total = 0
    for i, chunk in stream_chunks(ex.response.events or []):
        errors, count = registry().some_errors(name, chunk, max(0, MAX_ERRORS - len(found)))
        found += [SchemaError(event_path(i, e.path), e.message) for e in errors]
        total += count
    if total:
        raise schema_failure(name, found, " in every event", total)
