"""The Responses API: POST /responses, streamed as typed events (response.created ... .completed).

A stream amounts to the `response` its final event (response.completed, .incomplete or .failed)
carries. A stream cut before that amounts to the last response it announced, with the output items
it finished: nothing is invented, so the reassembled body shows where the stream fell short.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.families.base import PayloadFamily

FINAL = ("response.completed", "response.incomplete", "response.failed")
ANNOUNCED = ("response.created", "response.in_progress", "response.queued")


def reassemble(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The Response a stream of Responses API events amounts to."""
    final = [e["response"] for e in events if e.get("type") in FINAL and isinstance(e.get("response"), dict)]
    if final:
        return final[-1]
    announced = [
        e["response"] for e in events if e.get("type") in ANNOUNCED and isinstance(e.get("response"), dict)
    ]
    body = copy.deepcopy(announced[-1]) if announced else {}
    done = {
        e["output_index"]: e["item"]
        for e in events
        if e.get("type") == "response.output_item.done"
        and isinstance(e.get("output_index"), int)
        and isinstance(e.get("item"), dict)
    }
    body["output"] = [done[i] for i in sorted(done)]
    return body


FAMILY = PayloadFamily(
    name="responses",
    route="/responses",
    request_schema="responses_request",
    response_schema="responses_response",
    chunk_schema="responses_event",
    model="chat",
    reassemble=reassemble,
    generates=True,
    text_field=None,
    probe={"input": "ping", "max_output_tokens": 16},
    native=False,
    stream_format="events",
)
