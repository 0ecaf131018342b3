"""Reading a stream's events: the JSON data of each, without the [DONE] terminator.

A family's reassembler (harness/families/reassembly.py) folds those chunks back into one body.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.wire.exchange import SSEEvent

DONE = "[DONE]"


def stream_chunks(events: list[SSEEvent]) -> list[tuple[int, Any]]:
    """The JSON data of every event but the [DONE] terminator, with the event's index in `events`.

    Events whose data is not JSON are left out (the body-parses check reports them).
    """
    out: list[tuple[int, Any]] = []
    for i, event in enumerate(events):
        if event.data == DONE:
            continue
        try:
            out.append((i, orjson.loads(event.data)))
        except orjson.JSONDecodeError:
            continue
    return out
