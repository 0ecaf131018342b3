"""The HTTP client for a target: sends a Request, returns a Response, never raises for transport failures.

It owns everything on the wire that the Request does not carry: the Authorization header (the token
lives only here), pacing (--rate), the request budget (--max-requests), 429 retries and the
per-request deadline. It is thread-safe: the runners share one client across a thread pool.
"""

from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import orjson

from harness.wire.exchange import Request, Response
from harness.wire.redact import check_token, redact, redact_bytes
from harness.wire.sse import parse_sse

AUTH_MODES = ("default", "none", "wrong")
MAX_BODY_BYTES = 16 * 2**20  # a body past this is cut and reported: a hostile endpoint may send gigabytes
WRONG_TOKEN = "servecheck-deliberately-wrong-token"


class BudgetExhausted(Exception):
    """The --max-requests budget is spent: no further request may be sent."""


class TargetUnreachable(Exception):
    """Nothing answered at the target's base URL."""


def target_url(base_url: str, path: str) -> str:
    """The full URL of `path` (e.g. "/chat/completions") under `base_url` (which may end in "/v1")."""
    return base_url.rstrip("/") + path


def encode_body(body: Any) -> bytes:
    return orjson.dumps(body)


def request_headers(request: Request) -> dict[str, str]:
    """The headers sent for `request`, bar Authorization, which only the auth mode decides."""
    headers = {name: value for name, value in request.headers.items() if name.lower() != "authorization"}
    if request.body is not None and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return headers


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date); None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _describe(exc: Exception) -> str:
    message = " ".join(str(exc).split())  # one line, whatever the library put in it
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


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
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self.api = api
        self.timeout = timeout
        self.rate = rate
        self.max_requests = max_requests
        self.max_retries = max_retries
        self.max_backoff = max_backoff
        self.requests_sent = 0
        self._unbudgeted = 0  # pre-flight requests: counted, but not against --max-requests
        self._token = token or None
        # No connection cap: the caller's thread pool already bounds how many requests are in flight.
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=None))
        self._count_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0

    def __repr__(self) -> str:
        token = f"${self.token_env}" if self._token else None
        return f"TargetClient({self.base_url!r}, api={self.api!r}, token={token})"

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, request: Request, auth: str = "default", budgeted: bool = True) -> Response:
        """Send `request`, retrying 429s; raises BudgetExhausted when --max-requests is spent.

        `auth`: "default" sends the token (if any), "none" no Authorization header, "wrong" a wrong token.
        `budgeted` False (the pre-flight): counted in `requests_sent`, but never refused by the budget.
        """
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, got {auth!r}")
        headers = request_headers(request)
        token = {"default": self._token, "none": None, "wrong": WRONG_TOKEN}[auth]
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = target_url(self.base_url, request.path)
        content = None if request.body is None else encode_body(request.body)
        for attempt in range(self.max_retries + 1):
            self._take_budget(budgeted)
            self._pace()
            response = self._send_once(request.method, url, headers, content)
            if response.status != 429 or attempt == self.max_retries:
                break
            time.sleep(self._backoff(response.headers.get("retry-after"), attempt))
        return response

    def _take_budget(self, budgeted: bool) -> None:
        with self._count_lock:
            limit = self.max_requests
            if budgeted and limit is not None and self.requests_sent - self._unbudgeted >= limit:
                raise BudgetExhausted(f"request budget of {self.max_requests} spent")
            self.requests_sent += 1
            self._unbudgeted += not budgeted

    def _pace(self) -> None:
        """Hand out send slots 1/rate apart across all threads; each thread sleeps until its slot."""
        if self.rate is None:
            return
        with self._pace_lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1 / self.rate
        if slot > now:
            time.sleep(slot - now)

    def _backoff(self, retry_after: str | None, attempt: int) -> float:
        seconds = retry_after_seconds(retry_after)
        if seconds is None:  # exponential (1s, 2s, 4s ...) with jitter, so threads do not retry in step
            seconds = min(self.max_backoff, 2.0**attempt) * random.uniform(0.5, 1.0)
        return min(seconds, self.max_backoff, self.timeout)  # every wait is bounded by --timeout

    def _send_once(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> Response:
        """One HTTP exchange, read chunk by chunk so the overall deadline can cut an endless stream.

        The read timeout bounds each silent gap and the deadline is checked as each chunk arrives, so
        a response lasts at most about `timeout` plus one read timeout.
        """
        started = time.perf_counter()
        deadline = started + self.timeout
        status, resp_headers, chunks, size, error = 0, {}, [], 0, None
        try:
            with self._http.stream(method, url, headers=headers, content=content) as r:
                status = r.status_code
                resp_headers = {name.lower(): value for name, value in r.headers.items()}
                for chunk in r.iter_bytes():
                    chunks.append(chunk[: MAX_BODY_BYTES - size])
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        error = f"too large: response body over {MAX_BODY_BYTES // 2**20} MiB, cut there"
                        break
                    if time.perf_counter() > deadline:
                        error = f"timeout: response not complete after the {self.timeout:g}s deadline"
                        break
        except httpx.TimeoutException as exc:
            error = f"timeout: {_describe(exc)}"
        except httpx.RemoteProtocolError as exc:
            error = f"protocol error: {_describe(exc)}"
        except httpx.NetworkError as exc:
            error = f"connection error: {_describe(exc)}"
        except httpx.RequestError as exc:
            error = f"transport error: {_describe(exc)}"
        elapsed = time.perf_counter() - started
        return self._response(status, resp_headers, b"".join(chunks), elapsed, error)

    def _response(
        self, status: int, headers: dict[str, str], body: bytes, elapsed: float, error: str | None
    ) -> Response:
        """The Response, with the token masked wherever the target may have echoed it."""
        if self._token:
            secrets = [self._token]
            body = redact_bytes(body, secrets)
            headers = {name: redact(value, secrets) for name, value in headers.items()}
            error = error and redact(error, secrets)
        response = Response(status, headers, body, elapsed, error=error)
        if response.content_type == "text/event-stream":
            response.events = parse_sse(body).events
        elif body:
            with contextlib.suppress(orjson.JSONDecodeError):  # not JSON: checks judge the raw body
                response.json = orjson.loads(body)
        return response
