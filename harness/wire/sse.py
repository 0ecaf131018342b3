"""Server-sent events: an incremental parser following the WHATWG event-stream rules.

The load runner feeds it every network chunk, so the hot path works on whole chunks with bytes and str
methods (no per-byte Python loops): only complete lines are decoded, a chunk made of whole
`data: ...\\n\\n` events (the usual shape) is cut into events with one split, and anything else goes
line by line. Deviations from the framing rules are recorded in `problems`, never raised, so checks
can judge them. A line over MAX_LINE_BYTES or a stream past MAX_EVENTS ends the decoding there, as a
problem starting with "limit:" (so a hostile stream costs bounded memory and time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.wire.exchange import SSEEvent
from harness.wire.limits import LIMIT, MAX_EVENTS, MAX_LINE_BYTES, mib

UNTERMINATED = "stream ended without a blank line after the last event"
INVALID_UTF8 = "invalid UTF-8"  # how a problem about bytes that are not UTF-8 starts
_PIECE = 2**20  # parse_sse feeds a whole body this much at a time
_FIELD_NAME = re.compile(r"[A-Za-z0-9_-]+")  # what a field name looks like; anything else is garbage


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events completed so far."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._pending: list[bytes] = []  # the unterminated last line, kept as bytes until it ends
        self._offset = 0  # stream offset of the first pending byte, for problem messages
        self._skip_lf = False  # the last chunk ended with \r: a \n starting the next one belongs to it
        self._started = False  # the optional BOM is only stripped at the very start
        self._data: list[str] = []  # the event being built: its data lines and name
        self._event: str | None = None
        self._pending_bytes = 0
        self._count = 0  # events returned so far
        self.stopped = False  # a limit was hit: everything after it is ignored

    def feed(self, data: bytes) -> list[SSEEvent]:
        if self.stopped:
            return []
        if self._skip_lf and data:
            self._skip_lf = False
            if data[:1] == b"\n":
                data = data[1:]
                self._offset += 1
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if cut < 0:
            if data:
                self._pending.append(data)
                self._pending_bytes += len(data)
                if self._pending_bytes > MAX_LINE_BYTES:
                    self._stop(f"an SSE line over {mib(MAX_LINE_BYTES)}")
            return []
        complete, rest = data[: cut + 1], data[cut + 1 :]
        if self._pending:
            complete = b"".join([*self._pending, complete])
            self._pending = []
        self._pending_bytes = len(rest)
        if rest:
            self._pending.append(rest)
        else:
            self._skip_lf = complete.endswith(b"\r")
        return self._text(self._decode(complete))

    def close(self) -> list[SSEEvent]:
        """Flush the end of the stream: an event not closed by a blank line still counts, as a problem."""
        events: list[SSEEvent] = []
        if self.stopped:
            return events
        if self._pending:
            raw = b"".join(self._pending)
            self._pending = []
            events = self._text(self._decode(raw) + "\n")
        if self._data or self._event is not None:
            self.problems.append(UNTERMINATED)
            if self._data:
                events.append(SSEEvent("\n".join(self._data), self._event))
            self._data = []
            self._event = None
        return events

    def _stop(self, why: str) -> None:
        self.problems.append(f"{LIMIT}: {why}, the stream is judged up to there")
        self.stopped = True
        self._pending, self._pending_bytes, self._data, self._event = [], 0, [], None

    def _counted(self, events: list[SSEEvent]) -> list[SSEEvent]:
        room = MAX_EVENTS - self._count
        if len(events) > room:
            events = events[:room]
            self._stop(f"over {MAX_EVENTS:,} events")
        self._count += len(events)
        return events

    def _decode(self, raw: bytes) -> str:
        try:
            text = raw.decode()
        except UnicodeDecodeError as exc:
            self.problems.append(f"{INVALID_UTF8} at byte {self._offset + exc.start}")
            text = raw.decode(errors="replace")
        self._offset += len(raw)
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        return text

    def _text(self, text: str) -> list[SSEEvent]:
        """Events from complete lines (`text` ends with a line terminator), at most MAX_EVENTS in all."""
        return [] if self.stopped else self._counted(self._lines(text))

    def _lines(self, text: str) -> list[SSEEvent]:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not self._data and self._event is None and text.endswith("\n\n"):
            room = MAX_EVENTS - self._count
            blocks = text[:-2].split("\n\n", room)  # one more than room: the stream is over the limit
            fast = all(b.startswith("data: ") and "\n" not in b for b in blocks[:room])
            if fast and max(map(len, blocks[:room])) <= MAX_LINE_BYTES:
                return [SSEEvent(b[6:]) for b in blocks]  # fast path: whole single-line data events
        events: list[SSEEvent] = []
        data = self._data
        for line in text[:-1].split("\n"):
            if len(line) > MAX_LINE_BYTES:
                self._stop(f"an SSE line over {mib(MAX_LINE_BYTES)}")
                return events
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif not line:
                if data:
                    events.append(SSEEvent("\n".join(data), self._event))
                    data.clear()
                    if len(events) > MAX_EVENTS - self._count:
                        return events
                self._event = None
            else:
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        if line[0] == ":":
            return  # a comment (keep-alive)
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif not _FIELD_NAME.fullmatch(name):
            self.problems.append(f"line without a field name: {line[:80]!r}")
        # other field names are ignored, as the spec says


@dataclass
class SSEParse:
    events: list[SSEEvent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_sse(body: bytes) -> SSEParse:
    """All events of a complete stream body, and its framing problems."""
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for at in range(0, len(body), _PIECE):  # in pieces: a stream cut at a limit is not decoded past it
        events += decoder.feed(body[at : at + _PIECE])
        if decoder.stopped:
            break
    events += decoder.close()
    return SSEParse(events, decoder.problems)
