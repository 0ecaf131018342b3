"""Peak RSS and wall time of `servecheck contract` and `servecheck load` against the worst answers of
mock_server/faults.py: the stacked-gzip bomb (10 GB inflated), one 200 MB SSE line, a million events.

Each run is a subprocess (`servecheck ...` as a user runs it) whose resident memory, with its
children's (Locust), is sampled every 20 ms; the fault server and the mock run in this process. The
same commands against the plain mock give the baseline, side by side in one run.

    .venv/bin/python bench/bench_hostile.py              # the three faults and the baseline
    .venv/bin/python bench/bench_hostile.py --timeout 5 --duration 5 --examples 10
"""

from __future__ import annotations

import argparse
import os
import sys

from bench.peak_rss import measured
from harness.load.runner import LOOPBACK_ONLY_ENV
from mock_server.faults import running_faulty
from mock_server.server import running_mock

CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
FAULTS = ("gzip_bomb", "long_line", "million_events")


def measure(args: list[str]) -> tuple[int, float, float]:
    """(exit code, peak RSS in MB of the command and its children, wall time in s)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    done, rss, wall = measured([*CLI, *args], {**env, LOOPBACK_ONLY_ENV: "1"})
    return done.returncode, rss, wall


def runs(root: str, timeout: float, duration: int, family: str, examples: int) -> list[tuple[str, list[str]]]:
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
                str(examples),
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
    parser.add_argument("--examples", type=int, default=3, help="--examples of each contract run")
    args = parser.parse_args()
    print(f"{'target':<16} {'command':<9} {'exit':>4} {'peak RSS MB':>12} {'wall s':>7}")
    cases = [("plain mock", None), *((fault, fault) for fault in FAULTS)]
    for label, fault in cases:
        family = "stream" if fault in ("long_line", "million_events") else "chat"
        with running_faulty(fault) if fault else running_mock() as root:
            for command, argv in runs(root, args.timeout, args.duration, family, args.examples):
                code, rss, wall = measure(argv)
                print(f"{label:<16} {command:<9} {code:>4} {rss:>12.0f} {wall:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
