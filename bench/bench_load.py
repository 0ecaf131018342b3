"""Benchmarks of `servecheck load`: how accurate its timings are, and what its measuring costs.

    .venv/bin/python bench/bench_load.py [--seconds 5] [--rounds 3] [--users 32]

Accuracy: the mock with a constant TTFT and inter-token gap (no jitter), our chat-stream user at
moderate load; prints measured p50 TTFT and ITL against the configured values.

Overhead, side by side in one run: the load generator pinned to one core (taskset -c 0), a canned
HTTP server that answers instantly on the other (taskset -c 1), so the generator is the bottleneck.
- requests/s of our ChatUser vs a plain Locust FastHttpUser posting the same body (non-streaming);
- content chunks/s our ChatStreamUser parses from 100-chunk streams (TTFT, ITL, TPOT and all).
Rounds alternate plain and ours; medians are printed, with the generator's CPU seconds per run second
(near 100%: the generator was the bottleneck; well below: the server or the machine limited the run).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import servers

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TTFT_MS, ITL_MS, TOKENS = 80.0, 8.0, 32
STREAM_CHUNKS = 100
BODY = {"model": "mock-chat", "messages": [{"role": "user", "content": "Say something."}], "max_tokens": 64}
PLAIN_LOCUSTFILE = """
import json, os
from locust import FastHttpUser, task

BODY = json.loads(os.environ["BENCH_BODY"])


class PlainUser(FastHttpUser):
    @task
    def post(self):
        self.client.post("/chat/completions", json=BODY)
"""


# --- the canned server (run in its own process) ---------------------------------------------------


def _canned_responses() -> tuple[bytes, bytes]:
    head = {"id": "chatcmpl-bench", "created": 1700000000, "model": "mock-chat"}
    usage = {"prompt_tokens": 12, "completion_tokens": STREAM_CHUNKS, "total_tokens": 12 + STREAM_CHUNKS}
    plain = json.dumps(
        {
            **head,
            "object": "chat.completion",
            "usage": usage,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": " word" * STREAM_CHUNKS},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()

    def chunk(delta: dict, finish: str | None = None, **extra: object) -> bytes:
        obj = {
            **head,
            "object": "chat.completion.chunk",
            **extra,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else [],
        }
        data = b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"
        return b"%x\r\n%s\r\n" % (len(data), data)

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": " word"}) for _ in range(STREAM_CHUNKS)]
    events += [chunk({}, "stop"), chunk(None, usage=usage), b"e\r\ndata: [DONE]\n\n\r\n", b"0\r\n\r\n"]
    plain_response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(plain),
        plain,
    )
    stream_response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(events)
    )
    return plain_response, stream_response


def serve_canned() -> None:
    """Answer every POST at once: SSE when the body asks for a stream. Prints its URL, runs until killed."""
    import uvloop

    plain, stream = _canned_responses()
    length = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")

    class Canned(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
                found = length.search(self.buffer, 0, end + 2)
                total = end + 4 + (int(found.group(1)) if found else 0)
                if len(self.buffer) < total:
                    return
                body, self.buffer = self.buffer[end + 4 : total], self.buffer[total:]
                self.transport.write(stream if b'"stream":true' in body else plain)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", 0, backlog=1024)
        print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await server.serve_forever()

    uvloop.run(main())


# --- running things ---------------------------------------------------------------------------------


def run_locust(args: list[str], env: dict[str, str], seconds: int, core: str | None) -> float:
    """Run Locust headless; returns its CPU seconds per second of run time (start-up CPU included,
    so a little above the true share of the core during the run)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    prefix = ["taskset", "-c", core] if core else []
    command = [
        *prefix,
        sys.executable,
        "-m",
        "locust",
        "--headless",
        "--only-summary",
        "-t",
        f"{seconds}s",
        *args,
    ]
    subprocess.run(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=seconds + 60,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu / seconds


def post_rps(csv_prefix: Path) -> float:
    with open(f"{csv_prefix}_stats.csv") as f:
        rows = [row for row in csv.DictReader(f) if row["Type"] == "POST"]
    return float(rows[0]["Requests/s"])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "DATABRICKS_TOKEN")}
    return {**env, **extra}


def accuracy(work: Path, seconds: int) -> None:
    profile = work / "constant.yaml"
    profile.write_text(
        f"latency: {{ttft: {{dist: constant, mean_ms: {TTFT_MS}}}, itl_ms: {ITL_MS}}}\n"
        f"output_tokens: {{min: {TOKENS}, max: {TOKENS}}}\n"
    )
    mock, url = servers.start(servers.mock_command(profile))
    try:
        out = work / "accuracy"
        run_locust(
            [
                "-f",
                str(SCENARIOS / "chat_stream.py"),
                "--host",
                url + "/v1",
                "-u",
                "8",
                "-r",
                "8",
                "--input-tokens",
                "64",
                "--output-tokens",
                str(TOKENS),
                "--servecheck-out",
                str(out),
            ],
            clean_env(),
            seconds,
            None,
        )
    finally:
        servers.stop(mock)
    results = json.loads((out / "load.json").read_text())
    print(
        f"accuracy: mock with constant TTFT {TTFT_MS:g} ms and ITL {ITL_MS:g} ms, 8 users, {seconds} s,"
        f" {results['requests']} streams"
    )
    for name, configured in (("ttft_ms", TTFT_MS), ("itl_ms", ITL_MS)):
        p50 = results["metrics"][name]["p50"]
        error = p50 - configured
        print(
            f"  p50 {name[:-3].upper():<5} measured {p50:8.3f} ms  configured {configured:6.1f} ms"
            f"  error {error:+.3f} ms ({100 * error / configured:+.2f}%)"
        )


def overhead(work: Path, seconds: int, rounds: int, users: int) -> None:
    server, url = servers.start([sys.executable, __file__, "--serve-canned"], "1")
    body_file = work / "body.jsonl"
    body_file.write_text(json.dumps(BODY) + "\n")
    common = ["--host", url + "/v1", "-u", str(users), "-r", str(users)]
    plain_file = work / "plain_locustfile.py"
    plain_file.write_text(PLAIN_LOCUSTFILE)
    plain, ours, chunks, cpu = [], [], [], {"plain": [], "ours": [], "stream": []}
    try:
        for i in range(rounds):
            prefix = work / f"plain{i}"
            cpu["plain"].append(
                run_locust(
                    ["-f", str(plain_file), *common, "--csv", str(prefix)],
                    clean_env(BENCH_BODY=json.dumps(BODY)),
                    seconds,
                    "0",
                )
            )
            plain.append(post_rps(prefix))
            prefix = work / f"ours{i}"
            cpu["ours"].append(
                run_locust(
                    [
                        "-f",
                        str(SCENARIOS / "chat.py"),
                        *common,
                        "--csv",
                        str(prefix),
                        "--prompts",
                        str(body_file),
                    ],
                    clean_env(),
                    seconds,
                    "0",
                )
            )
            ours.append(post_rps(prefix))
            out = work / f"stream{i}"
            cpu["stream"].append(
                run_locust(
                    [
                        "-f",
                        str(SCENARIOS / "chat_stream.py"),
                        *common,
                        "--prompts",
                        str(body_file),
                        "--servecheck-out",
                        str(out),
                    ],
                    clean_env(),
                    seconds,
                    "0",
                )
            )
            results = json.loads((out / "load.json").read_text())
            content = results["metrics"]["ttft_ms"]["count"] + results["metrics"]["itl_ms"]["count"]
            chunks.append(content / results["elapsed_s"])
    finally:
        servers.stop(server)
    p, o, c = statistics.median(plain), statistics.median(ours), statistics.median(chunks)
    print(
        f"overhead: generator on core 0, canned server on core 1, {users} users, {rounds} x {seconds} s each"
    )
    print(
        f"  plain FastHttpUser   {p:9,.0f} req/s   (rounds {', '.join(f'{x:,.0f}' for x in plain)};"
        f" CPU {statistics.median(cpu['plain']):.0%})"
    )
    print(
        f"  servecheck ChatUser  {o:9,.0f} req/s   (rounds {', '.join(f'{x:,.0f}' for x in ours)};"
        f" CPU {statistics.median(cpu['ours']):.0%})"
    )
    print(f"  ratio ours/plain     {o / p:9.2f}      (target >= 0.80)")
    print(
        f"  streaming: {c:,.0f} content chunks/s parsed on one core ({STREAM_CHUNKS} per stream;"
        f" rounds {', '.join(f'{x:,.0f}' for x in chunks)}; CPU {statistics.median(cpu['stream']):.0%};"
        f" target >= 20,000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--serve-canned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_canned:
        serve_canned()
        return
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        try:
            accuracy(Path(tmp), args.seconds)
            overhead(Path(tmp), args.seconds, args.rounds, args.users)
        except servers.ServerError as exc:
            raise SystemExit(f"error: {exc}") from None


if __name__ == "__main__":
    main()
