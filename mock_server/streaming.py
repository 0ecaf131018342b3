"""Server-sent event streams: build the events of a streamed answer, then send them paced by the profile.

A stream is built whole (a list of framed events, each marked with the wait before it) and then
sent. With no latency to honour, all events go out in one write: the SSE byte stream is the same,
and the mock stays far faster than any client that reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from mock_server.flavours import REASONING_FIELD
from mock_server.latency import Dice
from mock_server.metrics import ServerMetrics

NOW, FIRST_TOKEN, NEXT_TOKEN = 0, 1, 2  # the wait before an event: none, TTFT, inter-token
_TOKEN_KEYS = ("content", REASONING_FIELD, "tool_calls")  # a chat delta holding one carries a token


def usage_mode(body: dict[str, Any]) -> str:
    """How a streamed answer reports usage: on "each" chunk, so far (vLLM's continuous_usage_stats),
    in a "last" chunk before [DONE] (include_usage), or not at all ("")."""
    options = body.get("stream_options") or {}
    return "each" if options.get("continuous_usage_stats") else "last" if options.get("include_usage") else ""


@dataclass
class Stream:
    """A streamed answer: SSE events and what to wait before each."""

    head: dict[str, Any]  # id, object, created, model: repeated in every chunk
    defects: frozenset[str]
    running_usage: int | None = None  # prompt tokens: every chunk carries usage so far (vLLM)
    events: list[tuple[int, bytes]] = field(default_factory=list)
    generated: int = 0  # chunks that carried a token so far

    def chunk(
        self, choices: list[dict[str, Any]], wait: int = NOW, usage: dict[str, Any] | None = None
    ) -> None:
        body = {**self.head, "choices": choices}
        if "stream_id_changes" in self.defects:
            body["id"] = f"{self.head['id']}-{len(self.events)}"
        if self.running_usage is not None and usage is None:
            self.generated += sum(1 for c in choices if c.get("text") or _carries_token(c.get("delta") or {}))
            prompt, done = self.running_usage, self.generated
            usage = {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}
        if usage is not None:
            body["usage"] = usage
        self._add(wait, orjson.dumps(body))

    def rounds(self, per_choice: list[list[dict[str, Any]]], first_wait: int) -> None:
        """Interleave the choices' chunks a token at a time, as a server generating them together."""
        for step in range(max(map(len, per_choice), default=0)):
            wait = first_wait if step == 0 else NEXT_TOKEN
            for choices in per_choice:
                if step < len(choices):
                    self.chunk([choices[step]], wait)
                    wait = NOW

    def end(self, usage: dict[str, Any] | None) -> None:
        """The usage chunk (`usage`: None when the client did not ask for it), then [DONE]."""
        if usage is not None and "stream_no_usage" not in self.defects:
            self.chunk([], usage=usage)
        if "stream_no_done" not in self.defects:
            self._add(NOW, b"[DONE]")

    def event(self, kind: str, body: dict[str, Any], wait: int = NOW) -> None:
        """A typed event (the Responses API's): `event: <kind>`, its data numbered in sequence."""
        number = len(self.events) // (2 if "responses_sequence_repeats" in self.defects else 1)
        data = orjson.dumps({"type": kind, "sequence_number": number, **body})
        self._add(wait, data, b"event: " + kind.encode() + b"\n")

    def _add(self, wait: int, data: bytes, field_lines: bytes = b"") -> None:
        """One SSE event: `field_lines` (an `event:` line), then its data line."""
        end = b"\n" if "stream_bad_framing" in self.defects else b"\n\n"
        comment = b": keep-alive\n\n" if "stream_keepalive" in self.defects else b""
        self.events.append((wait, comment + field_lines + b"data: " + data + end))


def _carries_token(delta: dict[str, Any]) -> bool:
    return any(delta.get(key) for key in _TOKEN_KEYS)


async def send(stream: Stream, dice: Dice, metrics: ServerMetrics) -> AsyncIterator[bytes]:
    """The stream's bytes, with the profile's waits, generated in one of the server's slots (the headers
    are out: a wait for a slot is TTFT's); a dropped stream stops half-way."""
    events = stream.events[: len(stream.events) // 2] if dice.drop_stream else stream.events
    if dice.quiet:
        yield b"".join(data for _, data in events)
        metrics.delivered(stream.generated)
        return
    async with metrics.serving():
        clock = asyncio.get_running_loop().time
        due = clock()
        for wait, data in events:
            delay = dice.ttft_s() if wait == FIRST_TOKEN else dice.itl_s() if wait == NEXT_TOKEN else 0.0
            if delay > 0:
                # On a schedule from the stream's start, not sleep after sleep: each sleep overshoots a
                # little (the loop's timer resolution, the time to send), and those would add up.
                due += delay
                if (left := due - clock()) > 0:
                    await asyncio.sleep(left)
            yield data
    metrics.delivered(stream.generated)
