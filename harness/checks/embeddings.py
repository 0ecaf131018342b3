"""Embeddings semantics: one vector per input in order, one dimension, `dimensions` and `encoding_format`
honoured, and the same input embedded twice in one request gives the same vector."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

import orjson

from harness.checks.base import CheckFailed, check
from harness.checks.views import answered, integer, request_body, shorten
from harness.wire.exchange import Exchange

REPEAT_TOLERANCE = 1e-6  # per component; batching may reorder float sums on the server


def inputs(ex: Exchange) -> list[Any]:
    """The request's inputs: a string, a list of strings, a token array, or a list of token arrays."""
    value = request_body(ex).get("input")
    if isinstance(value, str) or (
        isinstance(value, list) and value and all(integer(v) is not None for v in value)
    ):
        return [value]
    return value if isinstance(value, list) else []


def _items(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    """(position, item) of each object in the response's data."""
    body = ex.response.json
    data = body.get("data") if isinstance(body, dict) else None
    return [
        (i, item) for i, item in enumerate(data if isinstance(data, list) else []) if isinstance(item, dict)
    ]


def _embeddings_answered(ex: Exchange) -> bool:
    return answered(ex) and ex.family == "embeddings" and bool(_items(ex))


def _base64_floats(text: str) -> tuple[float, ...] | str:
    """The little-endian float32 values `text` encodes, or why it does not encode any."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return "a string that is not base64"
    if not raw or len(raw) % 4:
        return f"base64 of {len(raw)} bytes (float32 needs a non-zero multiple of 4)"
    return struct.unpack(f"<{len(raw) // 4}f", raw)


def vector(embedding: Any) -> tuple[float, ...] | None:
    """The embedding's values, from a float array or a base64 string; None when it is neither."""
    if isinstance(embedding, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in embedding
    ):
        return tuple(float(v) for v in embedding)
    if isinstance(embedding, str):
        values = _base64_floats(embedding)
        return values if isinstance(values, tuple) else None
    return None


def _vectors(ex: Exchange) -> list[tuple[int, dict[str, Any], tuple[float, ...]]]:
    found = [(i, item, vector(item.get("embedding"))) for i, item in _items(ex)]
    return [(i, item, values) for i, item, values in found if values is not None]


@check(
    "embeddings.count",
    "one embedding per input, in input order (data[i].index == i)",
    applies=lambda ex: _embeddings_answered(ex) and bool(inputs(ex)),
    level="spec",
    why="One embedding per input, data[i].index == i: clients zip inputs with vectors by position.",
    breaks=(
        "vector-store ingestion (LangChain OpenAIEmbeddings, LlamaIndex) that pairs texts and vectors by "
        "index"
    ),
)
def count(ex: Exchange) -> None:
    expected = len(inputs(ex))
    items = _items(ex)
    if len(items) != expected:
        raise CheckFailed(f"expected {expected} embedding(s), one per input, got {len(items)}", "$.data")
    for position, item in items:
        if item.get("index") != position:
            raise CheckFailed(
                f"expected index {position} (the input's position), got {item.get('index')!r}",
                f"$.data[{position}].index",
            )


@check(
    "embeddings.encoding",
    "embeddings are float arrays by default and with encoding_format 'float', base64 little-endian float32"
    " strings with 'base64'",
    applies=_embeddings_answered,
    level="spec",
    why=(
        "float arrays by default, base64 float32 with encoding_format 'base64' (the openai SDK asks for "
        "base64 and decodes it)."
    ),
    breaks="the openai SDK's embeddings.create (requests base64 and decodes float32), numpy-based clients",
)
def encoding(ex: Exchange) -> None:
    fmt = request_body(ex).get("encoding_format") or "float"
    for position, item in _items(ex):
        embedding = item.get("embedding")
        path = f"$.data[{position}].embedding"
        if fmt == "base64":
            got = _base64_floats(embedding) if isinstance(embedding, str) else f"a {type(embedding).__name__}"
            if not isinstance(got, tuple):
                raise CheckFailed(
                    f"expected base64 float32 values (encoding_format 'base64'), got {got}", path
                )
        elif not isinstance(embedding, list):
            raise CheckFailed(
                f"expected an array of floats (encoding_format {fmt!r}), got {shorten(repr(embedding), 40)}",
                path,
            )


@check(
    "embeddings.dimensions",
    "every vector has the same length, equal to `dimensions` when the request sets it",
    applies=lambda ex: _embeddings_answered(ex) and bool(_vectors(ex)),
    level="spec",
    why="dimensions shortens every vector to that length; a vector store's index has one fixed width.",
    breaks="vector stores (pgvector, FAISS, Databricks Vector Search) that reject vectors of the wrong width",
)
def dimensions(ex: Exchange) -> None:
    found = _vectors(ex)
    wanted = integer(request_body(ex).get("dimensions"))
    first_position, _, first = found[0]
    if wanted is not None and len(first) != wanted:
        raise CheckFailed(
            f"expected {wanted} dimensions (requested), got {len(first)}",
            f"$.data[{first_position}].embedding",
        )
    for position, _, values in found[1:]:
        if len(values) != len(first):
            raise CheckFailed(
                f"expected {len(first)} dimensions (as data[{first_position}]), got {len(values)}",
                f"$.data[{position}].embedding",
            )


def _repeats(ex: Exchange) -> list[list[int]]:
    """Groups (of two or more) of positions holding the same input."""
    groups: dict[bytes, list[int]] = {}
    for position, value in enumerate(inputs(ex)):
        groups.setdefault(orjson.dumps(value), []).append(position)
    return [positions for positions in groups.values() if len(positions) > 1]


@check(
    "embeddings.repeat",
    f"the same input given twice in a request gets the same vector (within {REPEAT_TOLERANCE:g})",
    applies=lambda ex: _embeddings_answered(ex) and bool(_repeats(ex)),
    level="strict",
    why="The same text in one request should get the same vector; caches and deduplication assume it.",
    breaks="embedding caches and deduplication (good practice; servers may differ in the last bits)",
)
def repeat(ex: Exchange) -> None:
    by_index = {integer(item.get("index")): (position, values) for position, item, values in _vectors(ex)}
    for group in _repeats(ex):
        present = [(i, *by_index[i]) for i in group if i in by_index]
        for i, position, values in present[1:]:
            j, _, reference = present[0]
            gaps = [abs(a - b) for a, b in zip(values, reference, strict=False)]
            # `g <= tolerance` is False for NaN, so a NaN component never passes as equal.
            if len(values) != len(reference) or not all(g <= REPEAT_TOLERANCE for g in gaps):
                gap = f"{max(gaps):.3g} apart" if len(values) == len(reference) else "of different lengths"
                raise CheckFailed(
                    f"expected input {i} to embed like input {j} (the same input), got vectors {gap}",
                    f"$.data[{position}].embedding",
                )
