"""The HTTP client for a target, in layers as httpx has them: the transport (one bounded exchange,
transport.py) under the run policy (budget, pacing, 429 retries, masking the token: policy.py), with
an auth object deciding the Authorization header (auth.py). It sends a Request and returns a Response
(JSON or SSE parsed), never raising for transport failures. Thread-safe: runs share one client across
a thread pool.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx
import orjson

from harness.wire.auth import Auth, BearerToken, NoToken
from harness.wire.exchange import Request, Response
from harness.wire.limits import LIMIT, bounded_json
from harness.wire.policy import BudgetExhausted, Policy
from harness.wire.redact import check_token, keep_secret
from harness.wire.sse import parse_sse
from harness.wire.transport import Transport

__all__ = ["BudgetExhausted", "TargetClient", "TargetUnreachable"]


class TargetUnreachable(Exception):
    """Nothing answered at the target's base URL."""


def target_url(base_url: str, path: str) -> str:
    """The full URL of `path` (e.g. "/chat/completions") under `base_url` (which may end in "/v1")."""
    return base_url.rstrip("/") + path


def encode_body(body: Any) -> bytes:
    return orjson.dumps(body)


def request_headers(request: Request) -> dict[str, str]:
    """The headers sent for `request`, bar Authorization, which only the auth object decides."""
    headers = {name: value for name, value in request.headers.items() if name.lower() != "authorization"}
    if request.body is not None and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return headers


class TargetClient:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        token_env: str,
        api: str = "openai",
        timeout: float = 30.0,
        rate: float | None = None,
        max_requests: int | None = None,
        max_retries: int = 3,
        max_backoff: float = 10.0,
    ) -> None:
        try:
            url = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid base URL {base_url!r}: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"base URL must look like http(s)://host[:port][/path], got {base_url!r}")
        if timeout <= 0 or (rate is not None and rate <= 0) or max_retries < 0 or max_backoff < 0:
            raise ValueError("timeout and rate must be positive; max_retries and max_backoff not negative")
        check_token(token, token_env)
        keep_secret(token)  # masked in everything this process writes
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self.api = api
        self.auth: Auth = BearerToken(token) if token else NoToken()  # the token lives only in here
        self._has_token = bool(token)
        self._transport = Transport(timeout)
        self._policy = Policy(timeout, rate, max_requests, max_retries, max_backoff, [token or ""])

    @property
    def requests_sent(self) -> int:
        return self._policy.requests_sent

    def __repr__(self) -> str:
        token = f"${self.token_env}" if self._has_token else None
        return f"TargetClient({self.base_url!r}, api={self.api!r}, token={token})"

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def abort(self) -> None:
        """The run is stopping: exchanges in flight end within a fraction of a second, waits too."""
        self._policy.stopping.set()
        self._transport.abort()

    def send(self, request: Request, auth: Auth | None = None, budgeted: bool = True) -> Response:
        """Send `request` with `auth` (default: the run's token, if any), under the run policy; raises
        BudgetExhausted when --max-requests is spent. `budgeted` False (the pre-flight): counted in
        `requests_sent`, but never refused by the budget."""
        headers = request_headers(request)
        (auth or self.auth).apply(headers)
        url = target_url(self.base_url, request.path)
        content = None if request.body is None else encode_body(request.body)
        raw = self._policy.run(
            lambda: self._transport.exchange(request.method, url, headers, content), budgeted
        )
        response = Response(raw.status, raw.headers, raw.body, raw.elapsed, error=raw.error)
        # A limit hit while parsing is the response's error, as one hit while reading it would be.
        if response.content_type == "text/event-stream":
            parsed = parse_sse(raw.body)
            response.events, response.framing = parsed.events, parsed.problems
            limit = next((p for p in parsed.problems if p.startswith(LIMIT)), None)
        elif raw.body:
            response.json, limit = bounded_json(raw.body)  # not JSON: checks judge the raw body
        else:
            limit = None
        if limit and limit.startswith(LIMIT) and not response.error:
            response.error = limit
        return response
