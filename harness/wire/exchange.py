"""One request sent to a target and what came back: the unit every check judges.

Plain data, no I/O: the client fills these in, checks read them, reports render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.wire.limits import bounded_json

REFUSED = (401, 403)  # the statuses that refuse a request for its token (missing, wrong, not allowed)


_UNPARSED = object()


@dataclass(slots=True)  # a stream may hold 100,000 of them
class SSEEvent:
    """One server-sent event: its `data` (multi-line data joined with "\\n") and the event name, if any."""

    data: str
    event: str | None = None
    _json: Any = field(default=_UNPARSED, repr=False, compare=False)

    def json(self) -> tuple[Any, str | None]:
        """(the data parsed as JSON, None) or (None, why not), parsed once within the JSON limits."""
        if self._json is _UNPARSED:
            self._json = bounded_json(self.data)
        return self._json


@dataclass
class Request:
    method: str
    path: str  # relative to the target's base URL, e.g. "/v1/chat/completions"
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # never holds the real token: see client.py

    @property
    def stream(self) -> bool:
        return bool(self.body and self.body.get("stream"))


@dataclass
class Response:
    status: int  # 0 when no HTTP response arrived (see `error`)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    elapsed: float = 0.0  # seconds, request sent to body fully read
    json: Any = None  # the parsed body when it is JSON
    events: list[SSEEvent] | None = None  # the parsed stream when the response is text/event-stream
    framing: list[str] = field(default_factory=list)  # the stream's SSE framing problems (wire/sse.py)
    error: str | None = None  # transport failure: "timeout: ...", "connection reset: ...", ...

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Exchange:
    """A request, its response, and what the contract expects of it.

    `expect` is "success" for a valid request, "client_error" for a deliberately invalid one and
    "unauthorized" for one sent with a missing or wrong token.
    """

    family: str
    request: Request
    response: Response
    expect: str = "success"
    api: str = "openai"  # "openai" or "databricks": which error envelopes count as well-formed
    note: str = ""  # what was varied, for invalid requests: "temperature out of range", ...
    # What the target answered earlier that this request was built from (the adaptive family's
    # probes: the base answer's text, the stop sequence taken from it, ...); checks read it.
    context: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # views computed once
