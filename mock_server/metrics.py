"""The mock's Prometheus /metrics, in vLLM's names, so a load run's server-side view (harness/load/
server_metrics.py) has something true to read: requests running and waiting for one of the profile's
batch slots (max_concurrency), the slots' use as vLLM reports its KV cache's, and the tokens generated.
prometheus_client writes the exposition format."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

MEDIA_TYPE = CONTENT_TYPE_LATEST


class ServerMetrics:
    def __init__(self, max_concurrency: int | None) -> None:
        self.registry = CollectorRegistry()
        # the batch slots answers are generated in; None: as many as come
        self.slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._slots = max_concurrency
        self._running = 0
        registry = self.registry
        self.running = Gauge("vllm:num_requests_running", "Answers being generated.", registry=registry)
        self.waiting = Gauge("vllm:num_requests_waiting", "Answers waiting for a slot.", registry=registry)
        self.cache = Gauge(
            "vllm:kv_cache_usage_perc", "Share of the slots in use (0 to 1).", registry=registry
        )
        self.tokens = Counter("vllm:generation_tokens", "Tokens generated.", registry=registry)
        self.requests = Counter("vllm:request_success", "Answers delivered whole.", registry=registry)

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """Generating one answer: it waits for a slot (when the profile has them), then runs in it."""
        self.waiting.inc()
        try:
            if self.slots is not None:
                await self.slots.acquire()
        finally:
            self.waiting.dec()
        try:
            self._set_running(+1)
            yield
        finally:
            self._set_running(-1)
            if self.slots is not None:
                self.slots.release()

    def delivered(self, tokens: int) -> None:
        self.requests.inc()
        self.tokens.inc(tokens)

    def _set_running(self, change: int) -> None:
        self._running += change
        self.running.set(self._running)
        if self._slots:
            self.cache.set(self._running / self._slots)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
