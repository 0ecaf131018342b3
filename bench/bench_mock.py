"""Mock server throughput, side by side with its ceiling, on one pinned core.

    .venv/bin/python bench/bench_mock.py [--duration 5] [--json FILE]

Each server runs alone on core 0; wrk (one thread, CONNECTIONS keep-alive connections) loads it from
core 1. Three measures, each DURATION seconds after a WARMUP_S warm-up:
- the ceiling: a bare Starlette app returning a fixed chat.completion (bench/bare_app.py, served with
  the mock's uvicorn settings): requests/s;
- the mock's non-streaming chat completions (schema validation on, as always): requests/s;
- the mock's streamed chat completions: streams/s x tokens per stream = tokens/s.
Every answer holds exactly MAX_TOKENS tokens: one request of each kind is checked before its run (and a
bad request must get 400, so validation is on), and wrk's bytes per request must cover that response.
Exit status: 0 measured (verdicts in the table), 1 a measurement went wrong, 2 wrk or taskset missing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import servers
from harness.families.reassembly import reassemble
from harness.tokens import count_tokens
from harness.wire.sse import parse_sse
from harness.wire.streams import stream_chunks

BENCH = Path(__file__).resolve().parent
SERVER_CORE, LOAD_CORE = "0", "1"
CONNECTIONS = 32
WARMUP_S = 1
BUSY = 0.9  # CPU share: a server below it shared its core; wrk above it may have limited the run
MAX_TOKENS = 64
TARGET_RATIO = 0.5
TARGET_TOKENS_PER_S = 50_000
CHAT = {
    "model": "mock-chat",
    "messages": [{"role": "user", "content": "Tell me a long story about the sea."}],
    "max_tokens": MAX_TOKENS,
}
STREAM = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
INVALID = {"model": "mock-chat", "messages": "not a list"}
# The fast profile, but with natural answers longer than max_tokens: each is cut at exactly MAX_TOKENS.
PROFILE = "output_tokens: {min: 1024, max: 1024}\n"
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY")

function done(summary, latency, requests)
  local e = summary.errors
  local line = 'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "errors": %d, "non_2xx": %d}\\n'
  local errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(line, summary.requests, summary.duration, summary.bytes, errors, e.status))
end
"""
PATH = "/v1/chat/completions"


class BenchError(Exception):
    """A measurement that cannot be trusted; the message says why."""


@dataclass
class Load:
    """One wrk run against one server."""

    requests: int
    seconds: float
    bytes: int
    server_cpu: float  # CPU seconds per second the server used: near 1.0 means it was the bottleneck
    wrk_cpu: float  # the same for wrk: near 1.0 means the load generator limited the run

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def per_cpu_s(self) -> float:
        """Requests per CPU-second of the server: steadier than req/s when other work shares its core."""
        return self.requests / (self.seconds * self.server_cpu)

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_s": round(self.rps, 1),
            "requests_per_cpu_s": round(self.per_cpu_s, 1),
            "bytes_per_request": round(self.bytes / self.requests, 1),
            "server_cpu": round(self.server_cpu, 3),
            "wrk_cpu": round(self.wrk_cpu, 3),
        }


# --- server CPU ----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- load ----------------------------------------------------------------------------------------------


def wrk(url: str, body: dict[str, Any], seconds: int, script: Path, server_pid: int) -> Load:
    """POST `body` to url + PATH for `seconds` with wrk pinned to LOAD_CORE."""
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    command += ["--timeout", "5s", "-s", str(script), url + PATH]
    env = {**os.environ, "BENCH_BODY": json.dumps(body)}
    server_before, wrk_before = cpu_seconds(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 30)
    server_after, wrk_after = cpu_seconds(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"^BENCH (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise BenchError(f"wrk failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[:500]}")
    result = json.loads(found.group(1))
    if result["requests"] == 0 or result["errors"] or result["non_2xx"]:
        raise BenchError(
            f"wrk against {url}: {result['requests']} requests, {result['errors']} socket errors,"
            f" {result['non_2xx']} non-2xx responses"
        )
    elapsed = result["duration_us"] / 1e6
    wrk_cpu = (wrk_after.ru_utime - wrk_before.ru_utime) + (wrk_after.ru_stime - wrk_before.ru_stime)
    return Load(
        result["requests"],
        elapsed,
        result["bytes"],
        (server_after - server_before) / elapsed,
        wrk_cpu / elapsed,
    )


def measure(url: str, body: dict[str, Any], seconds: int, script: Path, server_pid: int, size: int) -> Load:
    """Warm up, then measure; wrk must have read at least `size` bytes (one checked body) per request."""
    wrk(url, body, WARMUP_S, script, server_pid)
    load = wrk(url, body, seconds, script, server_pid)
    if load.bytes / load.requests < size:
        raise BenchError(
            f"wrk read {load.bytes / load.requests:.0f} bytes per response from {url}, less than the"
            f" {size}-byte body of the checked request: responses were cut short"
        )
    return load


# --- one checked request of each kind -------------------------------------------------------------------


def check_bare(url: str) -> int:
    """The bare app answers a chat.completion; returns its body size."""
    response = httpx.post(url + PATH, json=CHAT, timeout=10)
    if response.status_code != 200 or response.json().get("object") != "chat.completion":
        raise BenchError(f"bare app: HTTP {response.status_code}: {response.text[:200]}")
    return len(response.content)


def check_chat(url: str) -> int:
    """The mock validates requests and answers CHAT with exactly MAX_TOKENS tokens; returns the body size."""
    rejected = httpx.post(url + PATH, json=INVALID, timeout=10)
    if rejected.status_code != 400:
        raise BenchError(f"mock: an invalid chat request got HTTP {rejected.status_code}, not 400")
    response = httpx.post(url + PATH, json=CHAT, timeout=10)
    if response.status_code != 200:
        raise BenchError(f"mock chat: HTTP {response.status_code}: {response.text[:200]}")
    body = response.json()
    _check_tokens("mock chat", body["choices"][0], body["choices"][0]["message"]["content"], body["usage"])
    return len(response.content)


def check_stream(url: str) -> tuple[int, int, int]:
    """The mock streams STREAM as MAX_TOKENS tokens; returns a stream's size, tokens, content chunks."""
    response = httpx.post(url + PATH, json=STREAM, timeout=10)
    if response.status_code != 200:
        raise BenchError(f"mock stream: HTTP {response.status_code}: {response.text[:200]}")
    parsed = parse_sse(response.content)
    if parsed.problems or not parsed.events or parsed.events[-1].data != "[DONE]":
        raise BenchError(f"mock stream: bad SSE framing or no [DONE]: {parsed.problems[:3]}")
    chunks = [chunk for _, chunk in stream_chunks(parsed.events)]
    body = reassemble(chunks)
    tokens = _check_tokens(
        "mock stream", body["choices"][0], body["choices"][0]["message"]["content"], body["usage"]
    )
    content_chunks = sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content"))
    return len(response.content), tokens, content_chunks


def _check_tokens(what: str, choice: dict[str, Any], content: str, usage: dict[str, Any] | None) -> int:
    """The answer was cut at max_tokens, and the usage and our own tokenizer both count MAX_TOKENS."""
    counted = count_tokens(content)
    billed = (usage or {}).get("completion_tokens")
    if choice["finish_reason"] != "length" or counted != MAX_TOKENS or billed != MAX_TOKENS:
        raise BenchError(
            f"{what}: expected {MAX_TOKENS} tokens cut by max_tokens; got finish_reason"
            f" {choice['finish_reason']!r}, {counted} tokens counted, {billed} billed"
        )
    return counted


# --- the run -------------------------------------------------------------------------------------------


def run(seconds: int, work: Path) -> dict[str, Any]:
    script, profile = work / "post.lua", work / "bench.yaml"
    script.write_text(WRK_SCRIPT)
    profile.write_text(PROFILE)
    proc, url = servers.start([sys.executable, str(BENCH / "bare_app.py")], SERVER_CORE)
    try:
        bare = measure(url, CHAT, seconds, script, proc.pid, check_bare(url))
    finally:
        servers.stop(proc)
    proc, url = servers.start(servers.mock_command(profile), SERVER_CORE)
    try:
        chat = measure(url, CHAT, seconds, script, proc.pid, check_chat(url))
        size, tokens, content_chunks = check_stream(url)
        stream = measure(url, STREAM, seconds, script, proc.pid, size)
    finally:
        servers.stop(proc)
    ratio = chat.rps / bare.rps
    tokens_per_s = stream.rps * tokens
    return {
        "setup": {
            "server_core": SERVER_CORE,
            "load_core": LOAD_CORE,
            "load_generator": f"wrk -t1 -c{CONNECTIONS}",
            "duration_s": seconds,
            "warmup_s": WARMUP_S,
            "tokens_per_response": tokens,
            "content_chunks_per_stream": content_chunks,
        },
        "bare": bare.as_dict(),
        "mock_chat": chat.as_dict(),
        "mock_stream": {
            **stream.as_dict(),
            "tokens_per_s": round(tokens_per_s),
            "chunks_per_s": round(stream.rps * content_chunks),
        },
        "ratio": round(ratio, 3),
        "ratio_per_cpu_s": round(chat.per_cpu_s / bare.per_cpu_s, 3),
        "targets": {
            "ratio_at_least": TARGET_RATIO,
            "ratio_met": ratio >= TARGET_RATIO,
            "tokens_per_s_at_least": TARGET_TOKENS_PER_S,
            "tokens_per_s_met": tokens_per_s >= TARGET_TOKENS_PER_S,
        },
    }


def table(results: dict[str, Any]) -> str:
    setup, targets = results["setup"], results["targets"]
    stream = results["mock_stream"]
    lines = [
        f"servecheck mock benchmark: server on core {setup['server_core']}, {setup['load_generator']} on core"
        f" {setup['load_core']}; {setup['duration_s']} s per measure after a {setup['warmup_s']} s warm-up",
        f"{'':30}{'req/s':>10}{'req/CPU-s':>11}{'tokens/s':>12}{'chunks/s':>12}{'bytes/req':>11}"
        f"{'server CPU':>12}{'wrk CPU':>9}",
    ]
    rows = [
        ("bare Starlette app (ceiling)", results["bare"], "-", "-"),
        ("mock chat, validated", results["mock_chat"], "-", "-"),
        ("mock chat, streamed", stream, f"{stream['tokens_per_s']:,}", f"{stream['chunks_per_s']:,}"),
    ]
    for name, load, tokens, chunks in rows:
        lines.append(
            f"{name:30}{load['requests_per_s']:>10,.0f}{load['requests_per_cpu_s']:>11,.0f}"
            f"{tokens:>12}{chunks:>12}{load['bytes_per_request']:>11,.0f}"
            f"{load['server_cpu']:>12.0%}{load['wrk_cpu']:>9.0%}"
        )
    lines += [
        f"mock chat / bare app:  {results['ratio']:.2f} in req/s (target >= {targets['ratio_at_least']:.2f}:"
        f" {_verdict(targets['ratio_met'])}); {results['ratio_per_cpu_s']:.2f} per server CPU-second",
        f"streamed tokens/s:     {stream['tokens_per_s']:,}   ({setup['tokens_per_response']} tokens in"
        f" {setup['content_chunks_per_stream']} content chunks per stream; target >="
        f" {targets['tokens_per_s_at_least']:,}: {_verdict(targets['tokens_per_s_met'])})",
    ]
    for name, load, _, _ in rows:
        if load["server_cpu"] < BUSY:
            lines.append(
                f"note: {name}: the server had {load['server_cpu']:.0%} of its core (other work shared it):"
                " its req/s is low; req/CPU-s is the steadier figure, or run again on a quieter machine"
            )
        if load["wrk_cpu"] > BUSY:
            lines.append(f"note: {name}: wrk used {load['wrk_cpu']:.0%} of its core and may have limited it")
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def missing_tools() -> str | None:
    for tool, package in (("wrk", "wrk"), ("taskset", "util-linux")):
        if shutil.which(tool) is None:
            return f"{tool} not found; install it (Debian: apt-get install -y {package}) and run again"
    if not {0, 1} <= os.sched_getaffinity(0):
        return "needs CPU cores 0 and 1 (server on one, load generator on the other)"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measure (default 5)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.duration < 1:
        parser.error("--duration must be at least 1")
    problem = missing_tools()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-mock-") as tmp:
            results = run(args.duration, Path(tmp))
    except (BenchError, servers.ServerError, httpx.HTTPError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
