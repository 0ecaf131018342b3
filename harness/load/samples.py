"""samples.jsonl: one line per request, written as the run goes, so the raw data outlives the process
(a run killed outright keeps all but its last second) and later analyses (significance tests between
two runs) have every observation, not only the histograms.

A line: {"t": seconds from the test start to the request leaving, "scenario", "latency_ms", "ttft_ms",
"tpot_ms", "prompt_tokens", "completion_tokens", "error": null or its kind ("http_503", "timeout",
...)}. Lines are buffered in memory and appended by `flush` (the plugin calls it once a second), so a
request costs one small dict and one orjson call. At most MAX_SAMPLES lines per process.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from harness.load.metrics import RequestRecord

SAMPLES_FILE = "samples.jsonl"
MAX_SAMPLES = 1_000_000  # about 150 MB: --max-requests' default, per load-generating process


def samples_file(worker_index: int | None) -> str:
    """samples.jsonl for a single process; samples.worker<N>.jsonl for each of Locust's workers."""
    return SAMPLES_FILE if worker_index is None else f"samples.worker{worker_index}.jsonl"


class SampleLog:
    def __init__(self, path: Path, started: float) -> None:
        self.path = path
        self.started = started  # perf_counter at test start
        self.written = 0
        self._lines: list[bytes] = []

    def add(self, rec: RequestRecord) -> None:
        if self.written + len(self._lines) >= MAX_SAMPLES:
            return
        self._lines.append(
            orjson.dumps(
                {
                    "t": round(rec.sent - self.started, 4),
                    "scenario": rec.scenario,
                    "latency_ms": round(rec.latency_ms, 3),
                    "ttft_ms": None if rec.ttft_ms is None else round(rec.ttft_ms, 3),
                    "tpot_ms": None if rec.tpot_ms is None else round(rec.tpot_ms, 3),
                    "prompt_tokens": rec.prompt_tokens,
                    "completion_tokens": rec.completion_tokens,
                    "error": rec.error,
                }
            )
        )

    def flush(self) -> None:
        """Append what was buffered; the file then holds every request answered so far."""
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        with self.path.open("ab") as f:
            f.write(b"\n".join(lines) + b"\n")
        self.written += len(lines)
