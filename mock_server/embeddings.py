"""Embeddings: a deterministic unit vector per input, seeded by the input alone.

A shorter `dimensions` truncates the full vector and renormalizes it (as OpenAI's text-embedding-3
models do). Values are rounded to float32 first, so float and base64 (little-endian float32)
answers decode to the same numbers.
"""

from __future__ import annotations

import base64
import math
import random
import struct
from functools import lru_cache
from typing import Any

from mock_server.errors import SERVER_ERROR, ApiError, invalid
from mock_server.limits import input_tokens
from mock_server.profile import ModelSpec
from mock_server.state import Call, JsonReply, MockState, inputs, json_int
from mock_server.textgen import request_seed


def respond(state: MockState, call: Call, body: dict[str, Any], model: ModelSpec) -> JsonReply:
    """Answer a valid embeddings request for `model`."""
    defects = state.defects
    items = inputs(body["input"])
    if "server_error_on_unicode" in defects and not all(i.isascii() for i in items if isinstance(i, str)):
        raise ApiError(500, SERVER_ERROR)
    dimensions = json_int(body.get("dimensions"))
    if dimensions is not None and dimensions > model.dimensions:
        raise invalid(f"dimensions must be at most {model.dimensions} for {model.name!r}.", "dimensions")
    if dimensions is None or "embeddings_ignore_dimensions" in defects:
        dimensions = model.dimensions
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(items):
        key = repr(item).encode()  # repr: token ids may exceed what JSON encoders take
        if "embeddings_nondeterministic" in defects:
            key += index.to_bytes(4, "little")
        vector = unit_vector(key, model.dimensions, dimensions)
        embedding: Any = list(vector)
        if as_base64:
            packed = struct.pack(f"<{len(vector)}f", *vector)
            if "embeddings_bad_base64" in defects:
                packed = packed[:-2]
            embedding = base64.b64encode(packed).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    if "embeddings_reversed" in defects:
        data.reverse()
    tokens = input_tokens(items)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return JsonReply({"object": "list", "data": data, "model": model.name, "usage": usage}, tokens=0)


@lru_cache(maxsize=4096)
def unit_vector(key: bytes, full: int, dimensions: int) -> tuple[float, ...]:
    """The first `dimensions` of the `full`-length vector for `key`, renormalized, float32-rounded."""
    rng = random.Random(request_seed(key))
    vector = [rng.gauss(0.0, 1.0) for _ in range(full)][:dimensions]
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return struct.unpack(f"<{dimensions}f", struct.pack(f"<{dimensions}f", *(x / norm for x in vector)))
