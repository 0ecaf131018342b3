"""Keeping secrets (tokens, API keys) out of everything written or shown: one redaction step that every
writer goes through (run files, reports, diffs, JUnit, the console), dropping credentials from URLs,
and refusing a token that could only travel by being quoted back in an error.

An endpoint may echo a token whole, JSON-escaped (`\\u0073\\u006b...`), percent-encoded, or in pieces
(split across stream chunks, or cut by an excerpt): the redactor masks every run of FRAGMENT or more
consecutive characters of a secret, each character in any of those spellings, so no piece of that
length survives anywhere. Secrets are the ones a caller passes plus the process's own (`keep_secret`:
the token a command runs with, the well-known token variables).
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from harness.targets import ConfigError

MASK = "***"
FRAGMENT = 8  # the shortest piece of a secret that is masked; a secret shorter than this, whole
TOKEN_VARIABLES = ("OPENAI_API_KEY", "DATABRICKS_TOKEN", "SERVECHECK_MOCK_TOKEN")

_KEPT: set[str] = set()


def keep_secret(secret: str | None) -> None:
    """Mask `secret` in everything this process writes from now on."""
    if secret:
        _KEPT.add(secret)


def keep_token_variables(*names: str) -> None:
    """The secrets of a command starting now: the values of the well-known token variables (and of
    `names`) when set, and none kept by an earlier command run in this process."""
    _KEPT.clear()
    for name in (*TOKEN_VARIABLES, *names):
        keep_secret(os.environ.get(name))


def _char(c: str) -> str:
    """A regex matching character `c` as written, JSON-escaped or percent-encoded."""
    spellings = {re.escape(c)}
    code = ord(c)
    if code < 0x10000:
        spellings |= {re.escape(f"\\u{code:04x}"), re.escape(f"\\u{code:04X}")}
    if code < 0x80:
        spellings |= {f"%{code:02x}", f"%{code:02X}"}
        if c == "/":
            spellings.add(re.escape("\\/"))
    return "(?:" + "|".join(sorted(spellings, key=len, reverse=True)) + ")"


def _starts(secret: str) -> range:
    """Where the secret's FRAGMENT-long windows start (one window, the whole of a shorter secret)."""
    return range(max(1, len(secret) - FRAGMENT + 1))


class _Spelled:
    """The patterns for one set of secrets, in one string type (str or bytes): every FRAGMENT-long
    window of each secret, in any spelling, as one alternation with a group per window (which says
    where in which secret a match starts), and each secret character alone to extend a match by.

    Linear in the secrets' length: one pattern for "any run of FRAGMENT or more characters" (each
    start's window followed by nested optional characters) grew with the square of it and took 3 s
    to compile for a 164-character OpenAI project key, in every process that holds one."""

    def __init__(self, secrets: list[str], encode: Callable[[str], Any]) -> None:
        self.where: list[tuple[int, int]] = []  # group number - 1 -> (secret, first character)
        self.chars: list[list[re.Pattern]] = []
        windows = []
        for number, secret in enumerate(secrets):
            chars = [_char(c) for c in secret]
            for start in _starts(secret):
                windows.append("(" + "".join(chars[start : start + FRAGMENT]) + ")")
                self.where.append((number, start))
            self.chars.append([re.compile(encode(c)) for c in chars])
        self.windows = re.compile(encode("|".join(windows)))

    def run_end(self, data: Any, found: re.Match, stop: int) -> int:
        """Where the secret's run that `found` opens ends: each next character of that secret, in any
        spelling, extends it."""
        number, start = self.where[found.lastindex - 1]
        end, chars = found.end(), self.chars[number]
        for following in chars[start + FRAGMENT :]:
            more = following.match(data, end, stop)
            if more is None:
                break
            end = more.end()
        return end


class _Redactor:
    """The patterns for one set of secrets. A full pattern run over a big body costs seconds (an
    alternation tried at every position), so it runs only around candidates found at C speed: a
    plain FRAGMENT-long window of a secret (`str.find`), or an escape of one of its characters."""

    def __init__(self, secrets: frozenset[str]) -> None:
        ordered = sorted(secrets, key=len, reverse=True)
        self.reach = FRAGMENT + 6 * max(map(len, ordered))  # an escaped secret is at most 6x longer
        windows = {s[i : i + FRAGMENT] for s in ordered for i in _starts(s)}
        codes = sorted({ord(c) for s in ordered for c in s if ord(c) < 0x80})
        hexes = "|".join(f"{c:02x}|{c:02X}" for c in codes)
        self.text = (
            _Spelled(ordered, str),
            sorted(windows),
            [re.compile(rf"\\u00(?:{hexes})"), re.compile(rf"%(?:{hexes})")],
        )
        self.bytes = (
            _Spelled(ordered, str.encode),
            sorted(w.encode() for w in windows),
            [re.compile(rf"\\u00(?:{hexes})".encode()), re.compile(rf"%(?:{hexes})".encode())],
        )

    def sub(self, data: Any, parts: tuple[Any, ...], mask: Any) -> Any:
        spelled, windows, escapes = parts
        starts = []
        for window in windows:
            at = data.find(window)
            while at >= 0:
                starts.append(at)
                at = data.find(window, at + 1)
        for escape in escapes:
            starts += [m.start() for m in escape.finditer(data)]
        if not starts:
            return data
        out, done = [], 0
        for lo, hi in _merged(sorted(starts), self.reach, len(data)):
            at = max(lo, done)
            while (found := spelled.windows.search(data, at, hi)) is not None:
                out += [data[done : found.start()], mask]
                done = at = spelled.run_end(data, found, hi)
        out.append(data[done:])
        return data[:0].join(out)


def _merged(starts: list[int], reach: int, size: int) -> list[tuple[int, int]]:
    """Ranges `reach` around each start, overlapping ones merged."""
    ranges: list[tuple[int, int]] = []
    for at in starts:
        lo, hi = max(0, at - reach), min(size, at + reach)
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges


@lru_cache(maxsize=32)
def _redactor(secrets: frozenset[str]) -> _Redactor | None:
    return _Redactor(secrets) if secrets else None


def _all(secrets: Iterable[str]) -> frozenset[str]:
    return frozenset(s for s in (*secrets, *_KEPT) if s)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every piece of each secret (see the module doc) replaced by "***"."""
    redactor = _redactor(_all(secrets))
    return text if redactor is None else redactor.sub(text, redactor.text, MASK)


def redact_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    redactor = _redactor(_all(secrets))
    return data if redactor is None else redactor.sub(data, redactor.bytes, MASK.encode())


class RedactingStream(io.TextIOBase):
    """A text stream (stdout, stderr) that masks every secret in what passes through it."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", "utf-8")


class RedactingFilter(logging.Filter):
    """Masks secrets in log records (handlers made before us hold the original streams)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def redact_process_output() -> None:
    """From now on stdout, stderr and the root logger's handlers mask every kept secret."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def safe_url(url: str) -> str:
    """The URL without user:password@ (the only place a host string could carry a secret)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def check_token(token: str | None, variable: str) -> None:
    """ConfigError, naming the variable and never the token, when an HTTP header cannot carry it:
    HTTP libraries reject such a header with an error that quotes its value."""
    if token and not (token.isascii() and token.isprintable()):
        raise ConfigError(
            f"${variable} holds characters an HTTP header cannot carry (a line break?): "
            "a token must be printable ASCII"
        )
