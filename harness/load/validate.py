"""Sampled contract validation during a load run: a response (a stream reassembled) against its schemas.

The schema names per family are the contract checks' own (harness/checks/schema.py), so a load run
and `servecheck contract` judge a payload alike.
"""

from __future__ import annotations

from typing import Any

from harness.checks.schema import CHUNK_SCHEMAS, RESPONSE_SCHEMAS
from harness.schemas import registry
from harness.streams import reassemble, reassemble_text


def violation(family: str, payload: Any, chunks: list[dict[str, Any]] | None) -> str | None:
    """The first schema violation of a response as one line, or None when it honours the contract.

    `payload` is the parsed body of a plain response; for a stream pass `chunks` (its JSON events):
    each is checked against the chunk schema, then their reassembly against the response schema.
    """
    schemas = registry()
    if chunks is not None:
        chunk_schema = CHUNK_SCHEMAS[family]
        for i, chunk in enumerate(chunks):
            errors = schemas.errors(chunk_schema, chunk)
            if errors:
                return f"{chunk_schema} (event {i}): {errors[0]}"
        payload = reassemble(chunks) if family == "chat" else reassemble_text(chunks)
    name = RESPONSE_SCHEMAS[family]
    errors = schemas.errors(name, payload)
    return f"{name}: {errors[0]}" if errors else None
