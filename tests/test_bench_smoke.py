"""bench/bench_mock.py works end to end (a 1-second run) and its ceiling app answers a real chat.completion.
No timings are asserted: performance is judged by the benchmark itself, not by tests."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import orjson
import pytest

from harness.schemas.registry import registry
from harness.tokens import count_tokens

BENCH = Path(__file__).resolve().parent.parent / "bench"
pytestmark = pytest.mark.timing  # the benchmarks time things: run alone (make test)


def _bare_app() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("bare_app", BENCH / "bare_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bare_app_body_is_a_valid_64_token_chat_completion() -> None:
    body = orjson.loads(_bare_app().BODY)
    assert registry().errors("chat_response", body) == []
    assert count_tokens(body["choices"][0]["message"]["content"]) == body["usage"]["completion_tokens"] == 64


def test_missing_wrk_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_mock.py")],
        env={**os.environ, "PATH": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "wrk not found" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(
    shutil.which("wrk") is None or shutil.which("taskset") is None or not {0, 1} <= os.sched_getaffinity(0),
    reason="needs wrk, taskset and CPU cores 0 and 1",
)
def test_one_second_run_measures_all_three(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "bench_mock.py"), "--duration", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["setup"]["tokens_per_response"] == 64
    for name in ("bare", "mock_chat", "mock_stream"):
        assert results[name]["requests"] > 0
        assert results[name]["server_cpu"] > 0
    stream = results["mock_stream"]
    assert stream["tokens_per_s"] == pytest.approx(stream["requests_per_s"] * 64, rel=0.01)
    assert results["ratio"] == pytest.approx(
        results["mock_chat"]["requests_per_s"] / results["bare"]["requests_per_s"], abs=0.001
    )
    assert "mock chat / bare app" in done.stdout
