"""Running a command while sampling its memory: the peak RSS of the process and its children together.

Sampled (every POLL_S) rather than read from ru_maxrss, which after fork and exec still reports the
forking process's size (a pytest worker's, say). The tests of hostile endpoints and bench_hostile.py
both measure through here.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time

import psutil

POLL_S = 0.02


def _tree_rss(proc: psutil.Process) -> int:
    with contextlib.suppress(psutil.Error):
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total
    return 0


def measured(
    command: list[str], env: dict[str, str], timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """(the finished command with its output, its peak RSS in MB with its children, its wall time in s)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched, peak, stop = psutil.Process(proc.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(POLL_S):
            peak = max(peak, _tree_rss(watched))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        stop.set()
        sampler.join()
        proc.kill()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return done, peak / 2**20, time.monotonic() - started
