"""Reading a stream's events: the JSON data of each, without the [DONE] terminator.

A family's reassembler (harness/families/reassembly.py) folds those chunks back into one body.
"""

from __future__ import annotations

from typing import Any

from harness.wire.exchange import SSEEvent

DONE = "[DONE]"


def stream_chunks(events: list[SSEEvent]) -> list[tuple[int, Any]]:
    """The JSON data of every event but the [DONE] terminator, with the event's index in `events`.

    Events whose data is not JSON (or past the JSON limits) are left out (the body-parses check reports
    them). Each event is parsed once, however many checks read it.
    """
    out: list[tuple[int, Any]] = []
    for i, event in enumerate(events):
        if event.data == DONE:
            continue
        value, problem = event.json()
        if problem is None:
            out.append((i, value))
    return out
