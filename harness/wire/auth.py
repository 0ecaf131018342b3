"""Auth objects (as httpx's `Auth`): what a request carries in its Authorization header.

The client holds the run's own (`BearerToken` of the target's token, or `NoToken`); a request may be
sent with another one: the auth checks send `NoToken()` and a deliberately wrong `BearerToken`
(harness/checks/auth.py), and on Databricks the run's token as Basic auth (`BasicToken`), which is test
intent, not the client's business.
"""

from __future__ import annotations

import base64

from harness.wire.redact import keep_secret


class Auth:
    def apply(self, headers: dict[str, str]) -> None:
        raise NotImplementedError


class NoToken(Auth):
    def apply(self, headers: dict[str, str]) -> None:
        headers.pop("Authorization", None)

    def __repr__(self) -> str:
        return "NoToken()"


class BearerToken(Auth):
    def __init__(self, token: str) -> None:
        self._token = token

    def apply(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer {self._token}"

    def __repr__(self) -> str:  # the token never shows, not even in a traceback's locals
        return "BearerToken(***)"


class BasicToken(Auth):
    """Databricks' other form: `Basic base64("token:" + token)`, as `curl -u token:$DATABRICKS_TOKEN`."""

    def __init__(self, token: str) -> None:
        self._value = "Basic " + base64.b64encode(f"token:{token}".encode()).decode()
        keep_secret(self._value.removeprefix("Basic "))  # the encoded token is the token too

    def apply(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = self._value

    def __repr__(self) -> str:
        return "BasicToken(***)"
