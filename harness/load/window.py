"""Which requests a load run's figures count, and which of them were good.

The measured window: requests sent during the warm-up (`--warmup 10s`, or the first N requests with
`--warmup 50`) or in the last `--cooldown` seconds are left out of every figure (they meet a server
that is filling up or draining), though samples.jsonl keeps them, marked. A fixed `--requests N` run
ends when N measured requests have their answers.

Goodput (DistServe's definition, as vLLM bench and GuideLLM report it): the requests that succeeded
and met every per-request objective (`--goodput ttft_ms:500,tpot_ms:50,e2e_ms:5000`), per second, and
their output tokens per second. A non-streamed request's TTFT is its latency (its first token comes
with its last), and an answer of fewer than two tokens has a TPOT of 0, as vLLM bench counts them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from harness.load.metrics import RequestRecord
from harness.runs.metrics import DISTRIBUTIONS

# The per-request figures an objective may name (every request's value is in samples.jsonl), and
# vLLM bench's name for the end-to-end latency.
PER_REQUEST = {m.key: m.name for m in DISTRIBUTIONS.values() if m.sampled}
ALIASES = {"e2e_ms": "latency_ms", "e2el_ms": "latency_ms"}
_ITEM = re.compile(r"^\s*([a-z0-9_]+)\s*:\s*([0-9]*\.?[0-9]+)\s*$")
_WARMUP = re.compile(r"^\s*(\d+)\s*(s?)\s*$")


def parse_goodput(text: str) -> dict[str, float]:
    """ "ttft_ms:500,tpot_ms:50,e2e_ms:5000" -> {"ttft_ms": 500.0, ...}; ValueError with one line."""
    objectives: dict[str, float] = {}
    for item in filter(str.strip, (text or "").split(",")):
        match = _ITEM.match(item)
        if not match:
            raise ValueError(
                f"--goodput {item.strip()!r}: give METRIC:MS pairs such as ttft_ms:500,tpot_ms:50"
            )
        key = ALIASES.get(match.group(1), match.group(1))
        if key not in PER_REQUEST:
            names = ", ".join([*PER_REQUEST, *ALIASES])
            raise ValueError(f"--goodput: unknown per-request metric {match.group(1)!r}; choose from {names}")
        limit = float(match.group(2))
        if not 0 < limit < math.inf:
            raise ValueError(f"--goodput {item.strip()!r}: the limit must be a positive number of ms")
        objectives[key] = limit
    return objectives


def request_value(rec: RequestRecord, key: str) -> float:
    """The figure an objective judges: `key` is one of PER_REQUEST."""
    if key == "ttft_ms":
        return rec.latency_ms if rec.ttft_ms is None else rec.ttft_ms
    if key == "tpot_ms":
        return rec.tpot_ms or 0.0
    return rec.latency_ms


def is_good(rec: RequestRecord, objectives: dict[str, float]) -> bool:
    return rec.error is None and all(request_value(rec, key) <= limit for key, limit in objectives.items())


@dataclass(frozen=True)
class Warmup:
    seconds: float = 0.0  # requests sent before this (seconds from the test start) are not counted
    requests: int = 0  # or: the first this many requests (of the whole run) are not counted

    def __str__(self) -> str:
        return f"{self.requests}" if self.requests else f"{self.seconds:g}s"

    def __bool__(self) -> bool:
        return bool(self.seconds or self.requests)


def parse_warmup(text: str) -> Warmup:
    """ "10s" (a time) or "50" (a count of requests); "" or "0": none."""
    match = _WARMUP.match(str(text or "0"))
    if not match:
        raise ValueError(f"--warmup {text!r}: give seconds (10s) or a number of requests (50)")
    value = int(match.group(1))
    return Warmup(seconds=float(value)) if match.group(2) else Warmup(requests=value)


class Window:
    """One process's measured window: why a request is left out of the figures, or None.

    A counted warm-up leaves out the first answers this process hears (its share of --warmup N)."""

    def __init__(self, warmup: Warmup, cooldown_s: int, run_time_s: int, warmup_share: int) -> None:
        self.warmup = warmup
        self.cooldown_from = run_time_s - cooldown_s if cooldown_s and run_time_s else math.inf
        self._warmup_left = warmup_share

    def outside(self, sent_s: float) -> str | None:
        """Why a request sent `sent_s` seconds after the start is not counted, or None."""
        if self._warmup_left > 0:
            self._warmup_left -= 1
            return "warmup"
        if sent_s < self.warmup.seconds:
            return "warmup"
        return "cooldown" if sent_s >= self.cooldown_from else None
