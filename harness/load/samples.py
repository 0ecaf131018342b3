"""samples.jsonl: one line per request, written as the run goes, so the raw data outlives the process
(a run killed outright keeps all but its last second) and later analyses (significance tests between
two runs) have every observation, not only the histograms.

A line: {"t": seconds from the test start to the request leaving, "scenario", "latency_ms", "ttft_ms",
"tpot_ms", "prompt_tokens", "completion_tokens", "error": null or its kind ("http_503", "timeout",
...), "excluded": null or why the figures leave it out ("warmup", "cooldown"), "good": whether it met
every --goodput objective}. Lines are buffered and handed to the kernel by `flush` (the plugin calls
it once a second), so a request costs one small dict and one orjson call. At most MAX_SAMPLES lines
per process.
"""

from __future__ import annotations

from pathlib import Path

from harness.load.metrics import RequestRecord
from harness.runs.files import JsonLines

MAX_SAMPLES = 1_000_000  # about 150 MB: --max-requests' default, per load-generating process


class SampleLog:
    def __init__(self, path: Path, started: float) -> None:
        self.started = started  # perf_counter at test start
        self.kept = 0
        self._file = JsonLines(path, append=False)

    def add(self, rec: RequestRecord) -> None:
        if self.kept >= MAX_SAMPLES:
            return
        self.kept += 1
        self._file.write(
            {
                "t": round(rec.sent - self.started, 4),
                "scenario": rec.scenario,
                "latency_ms": round(rec.latency_ms, 3),
                "ttft_ms": None if rec.ttft_ms is None else round(rec.ttft_ms, 3),
                "tpot_ms": None if rec.tpot_ms is None else round(rec.tpot_ms, 3),
                "prompt_tokens": rec.prompt_tokens,
                "completion_tokens": rec.completion_tokens,
                "error": rec.error,
                "excluded": rec.excluded,
                "good": rec.good,
            },
            flush=False,
        )

    def flush(self) -> None:
        """Hand what was buffered to the kernel; the file then holds every request answered so far."""
        self._file.flush()

    def close(self) -> None:
        self._file.close()
