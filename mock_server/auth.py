"""Token checks, in constant time so the comparison leaks nothing about the token."""

from __future__ import annotations

import base64
import binascii
import hmac


def authorized(header: str | None, token: bytes, basic: bool = False) -> bool:
    """True when an Authorization header carries `Bearer <token>`, or with `basic` (Databricks:
    `curl -u token:$DATABRICKS_TOKEN`) `Basic base64(<user>:<token>)`."""
    scheme, _, given = (header or "").partition(" ")
    # Header values arrive latin-1 decoded: encoding them back gives the bytes the client sent.
    raw = given.strip().encode("latin-1")
    if basic and scheme.lower() == "basic":
        try:
            raw = base64.b64decode(raw, validate=True).partition(b":")[2]
        except binascii.Error:
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(raw, token)
