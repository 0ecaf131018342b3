"""Failure groups: every distinct deviation a run saw, not only the first of each check.

Failures are grouped by a stable signature: the family, the check, the kind of request (the mutation
or auth variation it made on purpose, else "valid"), the JSON path with its indices dropped, the
message with its values dropped, and for a server error what the server said (values dropped), so
five unrelated 5xx causes are five groups. The same deviation seen in another run (another seed)
has the same signature: that is what baselines match on.
"""

from __future__ import annotations

import re

from harness.wire.envelopes import envelope_message
from harness.wire.exchange import Exchange

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
# Numbers are values, except an HTTP status ("status 503", "HTTP 404"): that is the kind of failure.
_NUMBER = re.compile(r"(?<!status )(?<!HTTP )-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)?s?\b")
_INDEX = re.compile(r"\[\d+\]")
SAID_CHARS = 120  # of a server error's own message, kept in its signature


def without_values(text: str) -> str:
    """`text` with quoted strings and numbers replaced, so messages differing only in values match."""
    return _NUMBER.sub("N", _QUOTED.sub("…", text)).strip()


def general_path(path: str) -> str:
    """`$.choices[2].delta` -> `$.choices[].delta`: the same field in another choice or event."""
    return _INDEX.sub("[]", path)


def request_kind(ex: Exchange) -> str:
    return ex.note or ("valid" if ex.expect == "success" else ex.expect)


def server_said(ex: Exchange) -> str:
    """What a 5xx answer's error envelope says, values dropped (empty for anything else)."""
    if ex.response.status < 500:
        return ""
    return without_values(envelope_message(ex.response.json))[:SAID_CHARS]


def signature(family: str, check: str, ex: Exchange, message: str, path: str) -> str:
    """The group a failure belongs to, as one stable string."""
    parts = (family, check, request_kind(ex), general_path(path), without_values(message), server_said(ex))
    return " | ".join(parts).rstrip(" |")
