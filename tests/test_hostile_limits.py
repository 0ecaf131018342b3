"""Hostile endpoints that attack time and memory, and echo the token in disguise: every case of
mock_server/faults.py beyond the classic faults (tests/test_hostile_endpoint.py), run as a user runs
it, in a subprocess whose peak RSS is measured, with a canary token that must not appear, whole or
as any 8-character piece, in anything the command writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_load_run import load_env

from bench import peak_rss
from harness.wire.limits import MAX_CONTAINERS, MAX_DEPTH, MAX_EVENTS
from harness.wire.redact import FRAGMENT
from mock_server.faults import running_faulty

pytestmark = pytest.mark.timeout(120)

CANARY = "sk-canary-7f3c9e1a2b4d6f8091a3c5e7d9"
RSS_LIMIT_MB = 400
TIMEOUT_S = 2.0  # --timeout of every run
# The harness's own work on top of the endpoint's time: start-up, imports, judging, writing reports
# (a million events take 15-20 s to judge; 37 s in all was seen on a loaded machine). Unbounded, these
# runs took minutes to hours.
OVERHEAD_S = 60.0
CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
# fault -> (family, the check that must fail, a fragment of its message)
CONTRACT = {
    "trickle_headers": ("chat", "transport.status", f"after the {TIMEOUT_S:g}s deadline"),
    "gzip_bomb": ("chat", "transport.status", "decompression bomb"),
    "brotli_bomb": ("chat", "transport.status", "decompression bomb"),
    "many_choices": ("chat", "transport.status", f"over {MAX_CONTAINERS:,} JSON objects and arrays"),
    "million_events": ("stream", "transport.status", f"over {MAX_EVENTS:,} events"),
    "deep_body": ("chat", "transport.status", f"nested deeper than {MAX_DEPTH} levels"),
    "long_line": ("stream", "transport.status", "too large: response body over 16 MiB"),
    "long_header": ("chat", "transport.status", "protocol error"),
    "redirect_other": ("chat", "transport.status", "a redirect to http://127.0.0.1:"),
    "echo_escaped": ("chat", None, ""),
    "echo_split": ("stream", None, ""),
}
# One load run per group of faults told apart by their error kinds: fault -> (kind, detail fragment).
LOAD_RUNS = {
    "lines": {
        "long_line": ("too_large", "an SSE line over 4 MiB"),
        "long_header": ("too_large", "a header line over 1 MiB"),
        "redirect_other": ("redirect", "HTTP 307 to http://127.0.0.1:"),
    },
    "volume": {
        "million_events": ("too_large", f"over {MAX_EVENTS:,} events"),
        "trickle_headers": ("timeout", "timeout"),  # cut mid-headers by the whole-request deadline
        "echo_split": (None, ""),  # a valid stream: its echo is masked, nothing fails
    },
    "bodies": {  # asked as plain chat (--scenario chat)
        "gzip_bomb": ("contract", "Content-Encoding gzip, gzip was not asked for"),
        "many_choices": ("contract", "over 500,000 JSON objects"),
        "deep_body": ("contract", f"nested deeper than {MAX_DEPTH} levels"),
        "echo_escaped": (None, ""),
    },
}
SCENARIO = {"bodies": "chat"}


def pieces(secret: str) -> set[bytes]:
    return {secret[i : i + FRAGMENT].encode() for i in range(len(secret) - FRAGMENT + 1)}


def assert_no_canary(*outputs: str, dirs: tuple[Path, ...]) -> None:
    """No output and no file under `dirs` holds the canary or any FRAGMENT-long piece of it, plain,
    JSON-escaped or percent-encoded."""
    forms = {CANARY}
    forms.add("".join(f"\\u{ord(c):04x}" for c in CANARY))
    forms.add("".join(f"%{b:02X}" for b in CANARY.encode()))
    blobs = [(f"output {i}", o.encode()) for i, o in enumerate(outputs)]
    blobs += [(str(p), p.read_bytes()) for d in dirs for p in sorted(d.rglob("*")) if p.is_file()]
    for where, blob in blobs:
        leaked = [p for p in pieces(CANARY) if p in blob]
        leaked += [f.encode() for f in forms if f.encode() in blob]
        assert not leaked, f"{where} holds the token ({leaked[:2]})"


def measured(args: list[str], timeout: float = 110) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """(the finished command, its peak RSS in MB with its children (Locust), its wall time in s)."""
    return peak_rss.measured([*CLI, *args], load_env(OPENAI_API_KEY=CANARY), timeout)


def shown(*args: str) -> str:
    """What `servecheck ARGS` (report, diff) prints; it must not fail."""
    done = subprocess.run([*CLI, *args], env=load_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


def test_every_new_fault_is_covered() -> None:
    assert {fault for run in LOAD_RUNS.values() for fault in run} <= set(CONTRACT)
    assert sorted(f for run in CONTRACT_RUNS.values() for f in run) == sorted(CONTRACT)


# One contract run per group of faults, each case (and the pre-flight probe) getting the next fault in
# turn (--concurrency 1 keeps the order): start-up is most of a run's time. The redirect gets a run of
# its own, as its failure is shrunk (a replay would meet the other faults).
CONTRACT_RUNS = {
    "chat": [f for f, (family, _, _) in CONTRACT.items() if family == "chat" and f != "redirect_other"],
    "stream": [f for f, (family, _, _) in CONTRACT.items() if family == "stream"],
    "redirect": ["redirect_other"],
}


@pytest.mark.slow
@pytest.mark.parametrize("run", list(CONTRACT_RUNS))
def test_contract_stays_bounded_and_names_each_limit(run: str, tmp_path: Path) -> None:
    faults = CONTRACT_RUNS[run]
    family = CONTRACT[faults[0]][0]
    out = tmp_path / "run"
    with running_faulty(faults, token=CANARY) as root:
        done, rss_mb, wall = measured(
            ["contract", "--base-url", root + "/v1", "--model", "mock-chat", "--families", family,
             "--examples", str(len(faults)), "--concurrency", "1", "--timeout", str(TIMEOUT_S),
             "--out", str(out)],
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-3000:]
    assert done.returncode == 1, output[-3000:]
    assert rss_mb < RSS_LIMIT_MB, rss_mb
    # Each request meets one fault, each cut at --timeout at worst.
    assert wall < (len(faults) + 1) * TIMEOUT_S + OVERHEAD_S, wall
    data = json.loads((out / "contract.json").read_text())
    assert data["verdict"] == "failed" and not data["partial"]
    messages = {(f["check"], f["message"]) for f in data["families"][family]["failures"]}
    for fault in faults:
        _, check, fragment = CONTRACT[fault]
        if check:  # the echoes are valid answers: only masked
            assert any(c == check and fragment in m for c, m in messages), (fault, sorted(messages))
    output += shown("report", str(out)) + shown("report", str(out), "--format", "md")
    output += shown("diff", str(out), str(out))
    assert_no_canary(output, dirs=(out,))


@pytest.mark.parametrize("run", list(LOAD_RUNS))
def test_load_stays_bounded_and_counts_each_limit_as_an_error_kind(run: str, tmp_path: Path) -> None:
    expected = LOAD_RUNS[run]
    out = tmp_path / "run"
    with running_faulty(list(expected), share=0.5, token=CANARY) as root:
        done, rss_mb, wall = measured(
            ["load", "--base-url", root + "/v1", "--users", "3", "--duration", "4s",
             "--scenario", SCENARIO.get(run, "chat-stream"),
             "--timeout", str(TIMEOUT_S), "--out", str(out), "--input-tokens", "16", "--output-tokens", "8"],
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output + (out / "locust.log").read_text(errors="replace"), output[-3000:]
    assert rss_mb < RSS_LIMIT_MB, rss_mb
    assert wall < 4 + TIMEOUT_S + OVERHEAD_S, wall
    data = json.loads((out / "load.json").read_text())
    assert data["successful"] > 0 and not data["partial"]  # half the requests reach the mock unharmed
    for fault, (kind, detail) in expected.items():
        if kind is None:
            continue
        assert kind in data["errors_by_kind"], (fault, data["errors_by_kind"])
        assert any(detail in sample for sample in data["error_samples"][kind]), (fault, data["error_samples"])
    assert_no_canary(output, shown("report", str(out)), dirs=(out,))


def test_sigterm_ends_a_run_stuck_in_slow_reads_within_seconds(tmp_path: Path) -> None:
    """Four reads trickled a byte a second under a 300 s --timeout: the signal ends them at once."""
    out = tmp_path / "run"
    with running_faulty("trickle_headers", share=0.5) as root:
        proc = subprocess.Popen(
            [*CLI, "contract", "--base-url", root + "/v1", "--model", "mock-chat", "--families", "chat",
             "--examples", "8", "--concurrency", "4", "--timeout", "300", "--out", str(out)],
            env=load_env(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not (out / "findings.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(4)  # the faulty requests are stuck mid-headers by now
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert proc.returncode == 143, output
    # Under 5 s on a quiet machine; the bound is for a loaded one (6.4 s seen in a fresh-clone run): what
    # matters is that the 300 s reads do not hold the run (9 minutes before the fix).
    assert took < 20, took
    data = json.loads((out / "contract.json").read_text())
    assert data["partial"] and data["signal"] == "SIGTERM" and data["verdict"] in ("partial", "failed")
    assert data["families"]["chat"]["status"] != "passed"


def test_a_signal_swallowed_by_a_gc_callback_is_raised_at_the_next_safe_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from harness.interrupt import Terminated, check_stop, sigterm_as_interrupt

    fired: list[str] = []

    def callback(phase: str, info: dict) -> None:
        if phase == "start" and not fired:
            fired.append(phase)
            os.kill(os.getpid(), signal.SIGTERM)  # its handler raises in here: Python discards that
            for _ in range(1000):  # bytecodes for the handler to run on
                pass

    # Python hands an exception a callback raised to sys.unraisablehook (by default: printed with its
    # traceback), then drops it; ours was not dropped, so it must not be printed: a contract run
    # stopped inside a GC callback once printed a Traceback.
    printed: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)
    with sigterm_as_interrupt():
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(callback)
        assert fired
        with pytest.raises(Terminated):
            check_stop()
        check_stop()  # raised once: nothing pending any more
    assert printed == []


@pytest.mark.parametrize("defects", [(), ("usage_mismatch",)])
def test_a_stop_while_a_family_is_judged_never_reads_as_passed(defects: tuple[str, ...]) -> None:
    """The signal lands after the first answer is judged: what was found so far is kept, and the run
    says partial (nothing failed yet) or failed, never passed; the family likewise."""
    from harness.contract.config import ContractConfig
    from harness.contract.engine import ContractEngine
    from harness.contract.events import ExchangeJudged, Handler
    from harness.contract.target import connect
    from harness.interrupt import Terminated
    from mock_server.server import running_mock

    class StopAfterFirstJudged(Handler):
        def handle(self, event: object) -> None:
            if isinstance(event, ExchangeJudged):
                raise Terminated()

    with running_mock(defects=list(defects)) as root:
        config = ContractConfig(base_url=root + "/v1", model="mock-chat", families=["chat"], examples=4)
        with connect(config) as (target, client, _):
            result = ContractEngine(config, target, client).run([StopAfterFirstJudged()])
    chat = result.families["chat"]
    assert result.partial and result.signal == "SIGTERM"
    if defects:
        assert result.verdict == "failed" and chat.status == "failed" and chat.failures
    else:
        assert result.verdict == "partial" and chat.status == "partial"
    assert result.to_dict()["verdict"] == result.verdict
