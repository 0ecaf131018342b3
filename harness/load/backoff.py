"""The wait after connection errors: a user whose target went away must not retry in a tight loop.

Kept apart from the Locust user so it is plain logic (importing Locust patches the process with gevent).
"""

from __future__ import annotations

import random

BACKOFF_MIN_S, BACKOFF_MAX_S = 0.05, 2.0


class Backoff:
    """Doubling waits after consecutive connection errors, bounded and jittered; any answer resets."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._wait_s = 0.0

    def after(self, error: str | None) -> float:
        """Seconds to wait before the next request, given the last one's error kind (0: go on)."""
        if error != "connection":
            self._wait_s = 0.0
            return 0.0
        self._wait_s = min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, self._wait_s * 2))
        return self._wait_s * self._rng.uniform(0.5, 1.0)
