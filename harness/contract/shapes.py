"""Response shapes observed in a run: per JSON path, the types seen, a few enum-like values, a count.

`diff` compares two runs' shapes to find drift (fields added or removed, types changed, new enum
values). Plain data, JSON-ready: a shape map is {path: {"types": [...], "values": [...] | None,
"count": n}}; values is [] for keys that are not enum-like and None past MAX_VALUES. Paths start at
`$` for a JSON body and at `chunk` for each chunk of a stream; `[]` stands for every item of an array
(`$.choices[].finish_reason`).
"""

from __future__ import annotations

from typing import Any

from harness.wire.exchange import Exchange
from harness.wire.streams import stream_chunks

Shapes = dict[str, dict[str, Any]]

# Only these keys have their values kept: they name kinds (object, role, finish_reason...), never
# generated text, so no token, prompt or completion can land in shapes.json.
ENUM_KEYS = frozenset(
    {
        "object",
        "role",
        "type",
        "finish_reason",
        "model",
        "code",
        "error_code",
        "encoding_format",
        "service_tier",
    }
)
MAX_VALUES = 20  # more distinct values than this: not enum-like, stop listing them
MAX_VALUE_LEN = 40
MAX_PATHS = 2_000  # paths kept per shape map
MAX_KEY_LEN = 64  # longer keys are cut in paths


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _walk(document: Any, root: str, out: Shapes) -> None:
    """Record every value of `document` under its path; iterative, since the endpoint picks the depth,
    and at most MAX_PATHS paths per map (a hostile answer can invent keys without end)."""
    stack: list[tuple[Any, str, str]] = [(document, root, "")]
    while stack:
        value, path, key = stack.pop()
        entry = out.get(path)
        if entry is None:
            if len(out) >= MAX_PATHS:
                continue
            entry = out[path] = {"types": [], "values": [], "count": 0}
        entry["count"] += 1
        kind = _type(value)
        if kind not in entry["types"]:
            entry["types"] = sorted([*entry["types"], kind])
        if kind == "string" and key in ENUM_KEYS and len(value) <= MAX_VALUE_LEN:
            _add_value(entry, value)
        if isinstance(value, dict):
            stack.extend((item, f"{path}.{_key(name)}", name) for name, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[]", key) for item in reversed(value))


def _key(name: str) -> str:
    return name if len(name) <= MAX_KEY_LEN else name[:MAX_KEY_LEN] + "..."


def _add_value(entry: dict[str, Any], value: str) -> None:
    values = entry["values"]
    if values is None or value in values:
        return
    entry["values"] = None if len(values) >= MAX_VALUES else sorted([*values, value])


def observe(document: Any, root: str = "$", into: Shapes | None = None) -> Shapes:
    """Add the shape of one parsed JSON document to `into` (a new map by default); returns the map."""
    out = {} if into is None else into
    _walk(document, root, out)
    return out


def observe_exchange(ex: Exchange, into: Shapes | None = None) -> Shapes:
    """Add the shapes of a response to `into`: its JSON body, or each JSON chunk of its stream."""
    out = {} if into is None else into
    response = ex.response
    if response.events is not None:
        for _, chunk in stream_chunks(response.events):  # "[DONE]" and broken chunks: the checks judge those
            _walk(chunk, "chunk", out)
    elif response.json is not None:
        _walk(response.json, "$", out)
    return out


def merge_shapes(shapes: Shapes, into: Shapes) -> None:
    """Add one answer's shape map to a family's (counts summed, types and values joined)."""
    for path, seen in shapes.items():
        entry = into.get(path)
        if entry is None:
            if len(into) < MAX_PATHS:
                into[path] = {**seen, "types": list(seen["types"]), "values": _copy(seen["values"])}
            continue
        entry["count"] += seen["count"]
        entry["types"] = sorted(set(entry["types"]) | set(seen["types"]))
        if seen["values"] is None:
            entry["values"] = None
        else:
            for value in seen["values"]:
                _add_value(entry, value)


def _copy(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def shapes_document(families: dict[str, Shapes]) -> dict[str, Shapes]:
    """shapes.json: per family, its shape map (paths sorted, so two runs diff line by line)."""
    return {family: dict(sorted(shapes.items())) for family, shapes in families.items() if shapes}
