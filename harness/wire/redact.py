"""Keeping secrets (tokens, API keys) out of everything written or shown: masking them in text and
files, dropping credentials from URLs, and refusing a token that could only travel by being quoted
back in an error."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from harness.targets import ConfigError

MASK = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each non-empty secret replaced by "***"."""
    # Longest first, so a secret containing another one is masked whole.
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`data` with every occurrence of each non-empty secret (UTF-8) replaced by "***"."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        data = data.replace(secret.encode(), MASK.encode())
    return data


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
