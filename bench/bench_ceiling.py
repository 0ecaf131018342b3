"""How close `servecheck load` comes to the streaming ceiling of this machine, and how true its timings are.

    .venv/bin/python bench/bench_ceiling.py [--seconds 5] [--rounds 3] [--streams 32] [--only accuracy]

Ceiling, side by side in one run: a canned server that answers every request at once (bench_load.py's
100-chunk SSE streams, taskset core 1) and, on core 0, in alternating rounds:
- a minimal asyncio streaming client (aiohttp on uvloop: keep-alive connections, `--streams` streams
  in flight, each read as it arrives, split into SSE events, each event's JSON parsed with orjson and
  the time of each content chunk noted): the least a client that measures TTFT and ITL must do;
- `servecheck load`'s chat-stream user through plain Locust, with the same streams in flight.
Each side's streams/s and CPU seconds per second; the ratio ours/ceiling (target >= 0.6 per core).
Then `--processes 2` against one process, neither pinned (the canned server shares the two cores:
it costs little beside the generators), and its ratio (target >= 1.8).

Accuracy: timed_server.py (a known server: TTFT 150 ms, then a token every 10 ms, sent on an exact
schedule by one thread, each send logged) on core 1; each client on core 0 in turn with 8 and then 64
concurrent streams, the first WARMUP_S seconds left out by both: p50 and p99 of TTFT and ITL against the
nominal truth (targets: p50 within 2%, p99 within 10%), and against what the server logged it sent.
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
import urllib.request
from pathlib import Path

from bench import servers
from bench.bench_load import SCENARIOS, STREAM_CHUNKS, clean_env, run_locust

TTFT_MS, ITL_MS, TOKENS = 150.0, 10.0, 64
WARMUP_S = 2  # accuracy runs leave out streams sent in the first seconds: new connections, cold caches
BODY = {
    "model": "mock-chat",
    "messages": [{"role": "user", "content": "Say something."}],
    "max_tokens": TOKENS,
    "stream": True,
}


def minimal_client(url: str, streams: int, seconds: float, warmup: float = 0.0) -> None:
    """Keep `streams` streams in flight for `seconds`; prints the streams and content chunks completed.
    Per event it does what any client that measures TTFT and ITL must: parse the JSON and look at the
    delta's content, and note when it came (as vLLM bench's request function does). Streams sent in the
    first `warmup` seconds count for throughput but not for TTFT and ITL."""
    import aiohttp
    import orjson
    import uvloop

    done = [0, 0]
    ttft: list[float] = []
    itl: list[float] = []

    async def one_stream(session: aiohttp.ClientSession, measured_from: float, deadline: float) -> None:
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
            if times and sent >= measured_from:
                ttft.append((times[0] - sent) * 1000)
                itl.extend((b - a) * 1000 for a, b in itertools.pairwise(times))

    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=streams)
        async with aiohttp.ClientSession(connector=connector) as session:
            start = time.perf_counter()
            jobs = [one_stream(session, start + warmup, start + seconds) for _ in range(streams)]
            await asyncio.gather(*jobs)

    uvloop.run(main())
    quantiles = {name: _p50_p99(values) for name, values in (("ttft_ms", ttft), ("itl_ms", itl))}
    print(json.dumps({"streams": done[0], "chunks": done[1], **quantiles}))


def _p50_p99(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [math.nan]
    return {f"p{q}": ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)] for q in (50, 99)}


def run_minimal(url: str, streams: int, seconds: int, warmup: float = 0.0) -> tuple[float, float, dict]:
    """(streams/s, CPU seconds per second, what it printed) of the minimal client pinned to core 0."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["taskset", "-c", "0", sys.executable, __file__, "--minimal", url, str(streams), str(seconds)]
    command.append(str(warmup))
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
    timed = [sys.executable, str(Path(__file__).with_name("timed_server.py"))]
    timed += ["--ttft-ms", str(TTFT_MS), "--itl-ms", str(ITL_MS), "--tokens", str(TOKENS)]
    server, url = servers.start(timed, "1")
    print(
        f"accuracy: timed_server.py (TTFT {TTFT_MS:g} ms, ITL {ITL_MS:g} ms, each send logged) on core 1,"
        f" each client on core 0 in turn, {seconds} s, the first {WARMUP_S} s left out;"
        " error against the nominal truth [against what the server logged it sent]"
    )
    try:
        for streams in (8, 64):
            for who in ("servecheck", "minimal"):
                _truth(url)  # what the server logged so far is the previous run's
                if who == "servecheck":
                    stats, count = _run_ours_timed(url, work, streams, seconds)
                else:
                    found = run_minimal(url, streams, seconds, WARMUP_S)[2]
                    stats, count = found, found["streams"]
                sent = _truth(url)
                for name, truth in (("ttft_ms", TTFT_MS), ("itl_ms", ITL_MS)):
                    cells = []
                    for q, target in (("p50", 2), ("p99", 10)):
                        value, logged = stats[name][q], sent[name][q]
                        cells.append(
                            f"{q} {value:7.2f} ms ({100 * (value - truth) / truth:+5.1f}%,"
                            f" target {target}%) [{100 * (value - logged) / logged:+5.1f}%]"
                        )
                    row = f"{streams:>2} streams {name[:-3].upper():<4} {who:<10}"
                    print(f"  {row} {'  '.join(cells)}  [{count} streams]")
            late = f"p50 {sent['late_ms']['p50']:.2f} ms, p99 {sent['late_ms']['p99']:.2f} ms"
            print(f"  {streams:>2} streams: the server's sends were late by {late}")
    finally:
        servers.stop(server)


def _run_ours_timed(url: str, work: Path, streams: int, seconds: int) -> tuple[dict, int]:
    """Our chat-stream user on core 0 against the timed server: (load.json's metrics, streams measured)."""
    out = Path(tempfile.mkdtemp(dir=work))
    args = ["-f", str(SCENARIOS / "chat_stream.py"), "--host", url + "/v1", "-u", str(streams)]
    args += ["-r", str(streams), "--input-tokens", "64", "--output-tokens", str(TOKENS)]
    args += ["--warmup", f"{WARMUP_S}s", "--servecheck-out", str(out)]
    run_locust(args, clean_env(), seconds, "0")
    results = json.loads((out / "load.json").read_text())
    return results["metrics"], results["metrics"]["ttft_ms"]["count"]


def _truth(url: str) -> dict:
    """What the timed server logged since the previous call (percentiles in ms)."""
    with urllib.request.urlopen(url + "/truth", timeout=10) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--streams", type=int, default=32)
    parser.add_argument("--only", choices=("ceiling", "accuracy"), help="run one of the two parts")
    parser.add_argument("--minimal", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.minimal:
        url, streams, seconds, warmup = args.minimal
        minimal_client(url, int(streams), float(seconds), float(warmup))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "accuracy":
            ceiling(Path(tmp), args.seconds, args.rounds, args.streams)
        if args.only != "ceiling":
            accuracy(Path(tmp), max(args.seconds, 10))


if __name__ == "__main__":
    main()
