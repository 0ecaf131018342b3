"""The profile's randomness for one request (latency, faults) and the server-wide rate limit.

Draws come from random.Random seeded with (profile seed, request number), and the fault draws are
made first, in a fixed order: a run with the same requests in the same order reproduces.
"""

from __future__ import annotations

import math
import random
import time

from mock_server.profile import Delay, Profile


class Dice:
    """What the profile decides for one request."""

    quiet = False  # True: no waits and no faults, ever

    def __init__(self, profile: Profile, number: int) -> None:
        self._latency = profile.latency
        self._rng = random.Random(profile.seed * 1_000_003 + number)
        faults = profile.faults
        self.error_status = _pick_status(faults.errors, self._rng.random())
        slow = self._rng.random() < faults.slow_responses.rate
        self.slow_s = faults.slow_responses.delay_ms / 1000 if slow else 0.0
        self.drop_stream = self._rng.random() < faults.dropped_streams

    def ttft_s(self) -> float:
        return _draw(self._latency.ttft, self._rng) / 1000

    def itl_s(self) -> float:
        jitter = self._latency.itl_jitter_ms
        gap = self._latency.itl_ms + (self._rng.uniform(-jitter, jitter) if jitter else 0.0)
        return max(0.0, gap) / 1000


class NoDice(Dice):
    """A profile without latency or faults: no draws at all (the fast path)."""

    quiet = True
    error_status = None
    slow_s = 0.0
    drop_stream = False

    def __init__(self) -> None:
        pass

    def ttft_s(self) -> float:
        return 0.0

    def itl_s(self) -> float:
        return 0.0


NO_DICE = NoDice()


def is_quiet(profile: Profile) -> bool:
    """True when the profile never delays nor fails a request, so no dice are needed."""
    latency, faults = profile.latency, profile.faults
    return (
        latency.ttft.mean_ms == 0
        and latency.itl_ms == 0
        and latency.itl_jitter_ms == 0
        and not any(faults.errors.values())
        and faults.dropped_streams == 0
        and (faults.slow_responses.rate == 0 or faults.slow_responses.delay_ms == 0)
    )


class RateLimiter:
    """A token bucket: `rate` requests per second, bursts up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def retry_after(self) -> int | None:
        """None when the request may go ahead, else whole seconds until it may (at least 1)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))


def _pick_status(errors: dict[int, float], draw: float) -> int | None:
    for status, rate in sorted(errors.items()):
        if draw < rate:
            return status
        draw -= rate
    return None


def _draw(delay: Delay, rng: random.Random) -> float:
    if delay.dist == "constant" or delay.sigma == 0:
        return delay.mean_ms
    if delay.dist == "normal":
        return max(0.0, rng.gauss(delay.mean_ms, delay.sigma))
    if delay.mean_ms == 0:
        return 0.0
    # lognormal with the requested mean: E[X] = exp(mu + sigma^2 / 2)
    return rng.lognormvariate(math.log(delay.mean_ms) - delay.sigma**2 / 2, delay.sigma)
