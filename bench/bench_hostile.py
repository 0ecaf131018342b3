"""Peak RSS and wall time of `servecheck contract` and `servecheck load` against the worst answers of
mock_server/faults.py: the stacked-gzip bomb (10 GB inflated), one 200 MB SSE line, a million events.

Each run is a subprocess (`servecheck ...` as a user runs it) whose resident memory, with its
children's (Locust), is sampled every 20 ms; the fault server and the mock run in this process. The
same commands against the plain mock give the baseline, side by side in one run.

    .venv/bin/python bench/bench_hostile.py              # the three faults and the baseline
    .venv/bin/python bench/bench_hostile.py --timeout 5 --duration 5
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import time

import psutil

from harness.load.runner import LOOPBACK_ONLY_ENV
from mock_server.faults import running_faulty
from mock_server.server import running_mock

CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
FAULTS = ("gzip_bomb", "long_line", "million_events")
POLL_S = 0.02


def measure(args: list[str]) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB of the command and its children, wall time in s)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env[LOOPBACK_ONLY_ENV] = "1"
    started = time.monotonic()
    proc = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watched, peak, stop = psutil.Process(proc.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(POLL_S):
            total = 0
            for p in [watched, *watched.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak = max(peak, total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    stop.set()
    sampler.join()
    return code, peak / 2**20, time.monotonic() - started


def runs(root: str, timeout: float, duration: int, family: str) -> list[tuple[str, list[str]]]:
    base = ["--base-url", root + "/v1", "--timeout", str(timeout)]
    return [
        (
            "contract",
            [
                "contract",
                *base,
                "--model",
                "mock-chat",
                "--families",
                family,
                "--examples",
                "3",
                "--out",
                f"/tmp/bench-hostile/{family}-contract",
            ],
        ),
        (
            "load",
            [
                "load",
                *base,
                "--users",
                "4",
                "--duration",
                f"{duration}s",
                "--scenario",
                "chat-stream" if family == "stream" else "chat",
                "--out",
                f"/tmp/bench-hostile/{family}-load",
            ],
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="--timeout of each run (s)")
    parser.add_argument("--duration", type=int, default=5, help="--duration of each load run (s)")
    args = parser.parse_args()
    print(f"{'target':<16} {'command':<9} {'exit':>4} {'peak RSS MB':>12} {'wall s':>7}")
    cases = [("plain mock", None), *((fault, fault) for fault in FAULTS)]
    for label, fault in cases:
        family = "stream" if fault in ("long_line", "million_events") else "chat"
        with running_faulty(fault) if fault else running_mock() as root:
            for command, argv in runs(root, args.timeout, args.duration, family):
                code, rss, wall = measure(argv)
                print(f"{label:<16} {command:<9} {code:>4} {rss:>12.0f} {wall:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
