"""The run policy over the transport: the request budget (--max-requests), pacing (--rate), 429 retries
honouring Retry-After, and masking the token wherever an answer echoes it. Thread-safe: a run's
thread pool shares one."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from harness.wire.redact import redact, redact_bytes
from harness.wire.transport import Raw


class BudgetExhausted(Exception):
    """The --max-requests budget is spent: no further request may be sent."""


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


class Policy:
    def __init__(
        self,
        timeout: float,
        rate: float | None,
        max_requests: int | None,
        max_retries: int,
        max_backoff: float,
        secrets: Iterable[str],
    ) -> None:
        self.timeout = timeout
        self.rate = rate
        self.max_requests = max_requests
        self.max_retries = max_retries
        self.max_backoff = max_backoff
        self.secrets = [s for s in secrets if s]
        self.requests_sent = 0
        self._unbudgeted = 0  # pre-flight requests: counted, but not against --max-requests
        self._count_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._next_slot = 0.0
        self.stopping = threading.Event()  # set when the run stops: waits end at once

    def run(self, once: Callable[[], Raw], budgeted: bool) -> Raw:
        """`once` (one exchange) under the policy, retrying 429s; raises BudgetExhausted when spent."""
        for attempt in range(self.max_retries + 1):
            self._take_budget(budgeted)
            self._pace()
            raw = once()
            if raw.status != 429 or attempt == self.max_retries:
                break
            if self._wait(self._backoff(raw.headers.get("retry-after"), attempt)):
                break
        return self._masked(raw)

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
            self._wait(slot - now)

    def _wait(self, seconds: float) -> bool:
        """Sleep `seconds`, or less when the run stops; True if it did."""
        return self.stopping.wait(seconds)

    def _backoff(self, retry_after: str | None, attempt: int) -> float:
        seconds = retry_after_seconds(retry_after)
        if seconds is None:  # exponential (1s, 2s, 4s ...) with jitter, so threads do not retry in step
            seconds = min(self.max_backoff, 2.0**attempt) * random.uniform(0.5, 1.0)
        return min(seconds, self.max_backoff, self.timeout)  # every wait is bounded by --timeout

    def _masked(self, raw: Raw) -> Raw:
        """The answer with the token masked wherever the target may have echoed it."""
        if not self.secrets:
            return raw
        raw.body = redact_bytes(raw.body, self.secrets)
        raw.headers = {name: redact(value, self.secrets) for name, value in raw.headers.items()}
        raw.error = raw.error and redact(raw.error, self.secrets)
        return raw
