"""What the harness accepts from an endpoint before it calls an answer too big, too deep or too long.

Every limit is checked while the answer is read or parsed, so a hostile endpoint costs bounded time and
memory; hitting one is reported naming the limit (a finding in contract, an error kind in load), never
a crash. One home: the client, the SSE decoder, the load user and the checks read these.
"""

from __future__ import annotations

from typing import Any

import orjson

MAX_BODY_BYTES = 16 * 2**20  # a body (after decoding) past this is cut and reported
MAX_RATIO = 200  # decoded bytes per encoded byte past which a body is a decompression bomb ...
RATIO_FROM_BYTES = 2**20  # ... once it has decoded this much (small bodies compress as they like)
MAX_HEADER_BYTES = 2**20  # one response header line (load: geventhttpclient has no limit of its own)
MAX_LINE_BYTES = 4 * 2**20  # one SSE line (an event's data) or one --prompts line
MAX_EVENTS = 100_000  # events in one stream (a 32k-token answer is about 32k events)
MAX_CONTAINERS = 500_000  # JSON objects and arrays in one body (counted by brackets, before parsing)
MAX_DEPTH = 128  # nesting of one JSON document
MAX_ERRORS = 1_000  # errors one check keeps of a response; the rest are counted

LIMIT = "limit"  # how a response error about a limit starts ("limit: ...")
NOT_JSON = "not JSON: "  # how bounded_json says the text does not parse


def mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


def depth_over(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests deeper than `limit` (iterative: the depth is the endpoint's to choose)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, dict | list))
    return False


def bounded_json(data: bytes | str) -> tuple[Any, str | None]:
    """(parsed value, None), or (None, why): not JSON, or over MAX_CONTAINERS or MAX_DEPTH."""
    raw = data.encode() if isinstance(data, str) else data
    containers = raw.count(b"{") + raw.count(b"[")
    if containers > MAX_CONTAINERS:
        return (
            None,
            f"{LIMIT}: over {MAX_CONTAINERS:,} JSON objects and arrays ({containers:,} brackets), not parsed",
        )
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return None, f"{NOT_JSON}{exc}"
    if containers > MAX_DEPTH and depth_over(value):
        return None, f"{LIMIT}: JSON nested deeper than {MAX_DEPTH} levels, not judged"
    return value, None
