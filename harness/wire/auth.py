"""Auth objects (as httpx's `Auth`): what a request carries in its Authorization header.

The client holds the run's own (`BearerToken` of the target's token, or `NoToken`); a request may be
sent with another one: the auth checks send `NoToken()` and a deliberately wrong `BearerToken`
(harness/checks/auth.py), which is test intent, not the client's business.
"""

from __future__ import annotations


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
