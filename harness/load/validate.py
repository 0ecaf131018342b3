"""Sampled contract validation during a load run: a response (a stream reassembled) against its schemas.

The schema names and the reassembler are the payload family's (harness/families/), the same the
contract checks read, so a load run and `servecheck contract` judge a payload alike.
"""

from __future__ import annotations

from typing import Any

from harness.families import PAYLOADS
from harness.schemas.registry import registry


def violation(family: str, payload: Any, chunks: list[dict[str, Any]] | None) -> str | None:
    """The first schema violation of a response as one line, or None when it honours the contract.

    `family` is a payload family; `payload` the parsed body of a plain response; for a stream pass
    `chunks` (its JSON events): each is checked against the chunk schema, then their reassembly
    against the response schema.
    """
    schemas = registry()
    declared = PAYLOADS[family]
    if chunks is not None and declared.chunk_schema and declared.reassemble:
        for i, chunk in enumerate(chunks):
            errors = schemas.errors(declared.chunk_schema, chunk)
            if errors:
                return f"{declared.chunk_schema} (event {i}): {errors[0]}"
        payload = declared.reassemble(chunks)
    errors = schemas.errors(declared.response_schema, payload)
    return f"{declared.response_schema}: {errors[0]}" if errors else None
