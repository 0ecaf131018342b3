"""Concurrent streaming connections held by one mock process.

Starts `servecheck mock --profile realistic` (TTFT ~150 ms, ITL ~15 ms) as its own process on a free
loopback port, opens N chat streams at once from one asyncio client (httpx), reads each to its
`data: [DONE]`, and prints how many completed without error, the wall time, and the peak number of
connections open at once (streams in flight on the client; sockets the mock process held, from
/proc). Raises the soft open-files limit to the hard one first: N streams need N descriptors on each
side.

    .venv/bin/python bench/bench_streams.py            # 1,000 streams
    .venv/bin/python bench/bench_streams.py --streams 200 --max-tokens 16
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from bench import servers

DONE = b"data: [DONE]\n\n"


@dataclass
class StreamsResult:
    """What happened to N concurrent streams: completed ones, failures by kind, the peak in flight."""

    completed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    open_now: int = 0
    peak_open: int = 0
    elapsed_s: float = 0.0


async def hold_streams(base_url: str, streams: int, max_tokens: int, timeout_s: float) -> StreamsResult:
    """Open `streams` chat streams against `base_url` (an OpenAI base URL) at once, read each whole."""
    result = StreamsResult()
    body = {
        "model": "mock-chat",
        "messages": [{"role": "user", "content": "Tell me about concurrency."}],
        "max_tokens": max_tokens,
        "stream": True,
    }
    limits = httpx.Limits(max_connections=streams, max_keepalive_connections=streams)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout_s) as client:

        async def one(i: int) -> None:
            try:
                async with client.stream("POST", "/chat/completions", json={**body, "seed": i}) as response:
                    if response.status_code != 200:
                        result.errors[f"HTTP {response.status_code}"] += 1
                        return
                    result.open_now += 1
                    result.peak_open = max(result.peak_open, result.open_now)
                    tail = b""
                    try:
                        async for chunk in response.aiter_bytes():
                            tail = (tail + chunk)[-len(DONE) :]
                    finally:
                        result.open_now -= 1
                    if tail == DONE:
                        result.completed += 1
                    else:
                        result.errors["stream ended without [DONE]"] += 1
            except httpx.HTTPError as exc:
                result.errors[type(exc).__name__] += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(streams)))
        result.elapsed_s = time.perf_counter() - start
    return result


def _raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the mock process
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _socket_count(pid: int) -> int:
    try:
        return sum(
            os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:") for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:  # the process or one descriptor went away while we looked
        return 0


def _sample_peak(pid: int, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _socket_count(pid))
        stop.wait(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per stream (~15 ms apart)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-stream timeout, seconds")
    args = parser.parse_args()
    if not 1 <= args.streams <= 20_000:
        raise SystemExit("error: --streams must be between 1 and 20000")
    files = _raise_open_files_limit()
    if files < args.streams + 100:
        raise SystemExit(f"error: the open-files limit ({files}) is too low for {args.streams} streams")
    try:
        process, url = servers.start(servers.mock_command("realistic"))
    except servers.ServerError as exc:
        raise SystemExit(f"error: {exc}") from None
    try:
        baseline = _socket_count(process.pid)  # the listening socket
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_sample_peak, args=(process.pid, stop, peak), daemon=True)
        sampler.start()
        result = asyncio.run(hold_streams(f"{url}/v1", args.streams, args.max_tokens, args.timeout))
        stop.set()
        sampler.join()
    finally:
        servers.stop(process)
    errors = ", ".join(f"{kind}: {n}" for kind, n in result.errors.most_common()) or "none"
    print(
        f"streams: {args.streams} at once, {args.max_tokens} tokens each, realistic profile, one mock process"
    )
    print(f"completed without error: {result.completed}/{args.streams}   errors: {errors}")
    print(f"wall time: {result.elapsed_s:.2f} s")
    print(
        f"peak open: {result.peak_open} streams in flight (client), {peak[0] - baseline} connections (mock)"
    )
    sys.exit(0 if result.completed == args.streams else 1)


if __name__ == "__main__":
    main()
