"""Bearer-token check, in constant time so the comparison leaks nothing about the token."""

from __future__ import annotations

import hmac


def authorized(header: str | None, token: bytes) -> bool:
    """True when an Authorization header carries `Bearer <token>`."""
    scheme, _, given = (header or "").partition(" ")
    # Header values arrive latin-1 decoded: encoding them back gives the bytes the client sent.
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode("latin-1"), token)
