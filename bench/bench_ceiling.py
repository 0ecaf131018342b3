"""How close `servecheck load` comes to the streaming ceiling of this machine, and how true its timings are.

    .venv/bin/python bench/bench_ceiling.py [--seconds 5] [--rounds 3] [--streams 32]

Ceiling, side by side in one run: a canned server that answers every request at once (bench_load.py's
100-chunk SSE streams, taskset core 1) and, on core 0, in alternating rounds:
- a minimal asyncio streaming client (aiohttp on uvloop: keep-alive connections, `--streams` streams
  in flight, each read as it arrives, split into SSE events, each event's JSON parsed with orjson and
  the time of each content chunk noted): the least a client that measures TTFT and ITL must do;
- `servecheck load`'s chat-stream user through plain Locust, with the same streams in flight.
Each side's streams/s and CPU seconds per second; the ratio ours/ceiling (target >= 0.6 per core).
Then `--processes 2` against one process, neither pinned (the canned server shares the two cores:
it costs little beside the generators), and its ratio (target >= 1.8).

Accuracy: the mock with a constant TTFT of 150 ms and a constant 10 ms between tokens (no jitter), 8 and
64 concurrent streams: p50 and p99 of TTFT and ITL against the truth (targets: p50 within 2%, p99
within 10%).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import servers
from bench.bench_load import SCENARIOS, STREAM_CHUNKS, clean_env, run_locust

TTFT_MS, ITL_MS, TOKENS = 150.0, 10.0, 64
BODY = {
    "model": "mock-chat",
    "messages": [{"role": "user", "content": "Say something."}],
    "max_tokens": TOKENS,
    "stream": True,
}


def minimal_client(url: str, streams: int, seconds: float) -> None:
    """Keep `streams` streams in flight for `seconds`; prints the streams and content chunks completed.
    Per event it does what any client that measures TTFT and ITL must: parse the JSON and look at the
    delta's content, and note when it came (as vLLM bench's request function does)."""
    import aiohttp
    import orjson
    import uvloop

    done = [0, 0]
    ttft: list[float] = []
    itl: list[float] = []

    async def one_stream(session: aiohttp.ClientSession, deadline: float) -> None:
        payload = orjson.dumps(BODY)
        headers = {"Content-Type": "application/json"}
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            async with session.post(url + "/v1/chat/completions", data=payload, headers=headers) as resp:
                buffer, times = b"", []
                async for data in resp.content.iter_any():
                    buffer += data
                    *events, buffer = buffer.split(b"\n\n")
                    now = time.perf_counter()
                    for event in events:
                        if not event.startswith(b"data: {"):
                            continue
                        choices = orjson.loads(event[6:]).get("choices")
                        if choices and choices[0].get("delta", {}).get("content"):
                            times.append(now)
            done[0] += 1
            done[1] += len(times)
            if times:
                ttft.append((times[0] - sent) * 1000)
                itl.extend((b - a) * 1000 for a, b in itertools.pairwise(times))

    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=streams)
        async with aiohttp.ClientSession(connector=connector) as session:
            deadline = time.perf_counter() + seconds
            await asyncio.gather(*(one_stream(session, deadline) for _ in range(streams)))

    uvloop.run(main())
    quantiles = {name: _p50_p99(values) for name, values in (("ttft_ms", ttft), ("itl_ms", itl))}
    print(json.dumps({"streams": done[0], "chunks": done[1], **quantiles}))


def _p50_p99(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [math.nan]
    return {f"p{q}": ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)] for q in (50, 99)}


def run_minimal(url: str, streams: int, seconds: int) -> tuple[float, float, dict]:
    """(streams/s, CPU seconds per second, what it printed) of the minimal client pinned to core 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["taskset", "-c", "0", sys.executable, __file__, "--minimal", url, str(streams), str(seconds)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = json.loads(out)
    return found["streams"] / seconds, cpu / seconds, found


def run_ours(url: str, work: Path, streams: int, seconds: int, core: str | None, processes: int = 1) -> tuple:
    """(streams/s, CPU seconds per second) of our chat-stream user through plain Locust."""
    body = work / "body.jsonl"
    body.write_text(json.dumps({k: v for k, v in BODY.items() if k != "stream"}) + "\n")
    out = Path(tempfile.mkdtemp(dir=work))
    args = ["-f", str(SCENARIOS / "chat_stream.py"), "--host", url + "/v1", "-u", str(streams)]
    args += ["-r", str(streams), "--prompts", str(body), "--servecheck-out", str(out)]
    if processes > 1:
        args += ["--processes", str(processes)]
    cpu = run_locust(args, clean_env(), seconds, core)
    results = json.loads((out / "load.json").read_text())
    return results["requests"] / results["elapsed_s"], cpu


def ceiling(work: Path, seconds: int, rounds: int, streams: int) -> None:
    canned = [sys.executable, str(Path(__file__).with_name("bench_load.py")), "--serve-canned"]
    server, url = servers.start(canned, "1")
    minimal, ours = [], []
    try:
        for _ in range(rounds):
            minimal.append(run_minimal(url, streams, seconds)[:2])
            ours.append(run_ours(url, work, streams, seconds, "0"))
        one = [run_ours(url, work, streams, seconds, None) for _ in range(rounds)]
        two = [run_ours(url, work, streams, seconds, None, processes=2) for _ in range(rounds)]
    finally:
        servers.stop(server)

    def line(name: str, runs: list[tuple[float, float]]) -> float:
        rate, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        rounds_text = ", ".join(f"{r[0]:,.0f}" for r in runs)
        print(f"  {name:<38} {rate:8,.0f} streams/s (rounds {rounds_text}; CPU {cpu:.0%})")
        return rate

    print(
        f"ceiling: {streams} streams of {STREAM_CHUNKS} chunks in flight, canned server on core 1,"
        f" {rounds} x {seconds} s"
    )
    floor = line("minimal aiohttp+uvloop client, core 0", minimal)
    mine = line("servecheck chat-stream, core 0", ours)
    print(f"  {'ratio servecheck / minimal':<38} {mine / floor:8.2f}   (target >= 0.6)")
    single = line("servecheck, 1 process, unpinned", one)
    double = line("servecheck --processes 2, unpinned", two)
    print(f"  {'ratio 2 processes / 1':<38} {double / single:8.2f}   (target >= 1.8)")


def accuracy(work: Path, seconds: int) -> None:
    profile = work / "constant.yaml"
    profile.write_text(
        f"latency: {{ttft: {{dist: constant, mean_ms: {TTFT_MS}}}, itl_ms: {ITL_MS}}}\n"
        f"output_tokens: {{min: {TOKENS}, max: {TOKENS}}}\n"
    )
    mock, url = servers.start(servers.mock_command(profile), "1")
    print(
        f"accuracy: mock with constant TTFT {TTFT_MS:g} ms and ITL {ITL_MS:g} ms on core 1, each client"
        " on core 0 in turn (the minimal one shows what the mock itself adds)"
    )
    try:
        # Warm the mock (its first connections and answers), so neither client meets a cold start.
        run_minimal(url, 8, 2)
        for streams in (8, 64):
            out = Path(tempfile.mkdtemp(dir=work))
            args = ["-f", str(SCENARIOS / "chat_stream.py"), "--host", url + "/v1", "-u", str(streams)]
            args += ["-r", str(streams), "--input-tokens", "64", "--output-tokens", str(TOKENS)]
            run_locust([*args, "--servecheck-out", str(out)], clean_env(), seconds, "0")
            ours = json.loads((out / "load.json").read_text())
            minimal = run_minimal(url, streams, seconds)[2]
            for name, truth in (("ttft_ms", TTFT_MS), ("itl_ms", ITL_MS)):
                for who, stats, count in (
                    ("servecheck", ours["metrics"][name], ours["requests"]),
                    ("minimal", minimal[name], minimal["streams"]),
                ):
                    p50, p99 = stats["p50"], stats["p99"]
                    error50, error99 = 100 * (p50 - truth) / truth, 100 * (p99 - truth) / truth
                    print(
                        f"  {streams:>2} streams {name[:-3].upper():<4} {who:<10}"
                        f" p50 {p50:7.2f} ms ({error50:+5.1f}%, target 2%)"
                        f"  p99 {p99:7.2f} ms ({error99:+5.1f}%, target 10%)  [{count} streams]"
                    )
    finally:
        servers.stop(mock)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--minimal", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal:
        url, streams, seconds = args.minimal
        minimal_client(url, int(streams), float(seconds))
        return
    with tempfile.TemporaryDirectory() as tmp:
        ceiling(Path(tmp), args.seconds, args.rounds, args.streams)
        accuracy(Path(tmp), max(args.seconds, 10))


if __name__ == "__main__":
    main()
