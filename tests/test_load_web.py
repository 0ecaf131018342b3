"""`servecheck load --web`: Locust's own web UI while the run goes, with our LLM tabs in it.

A real run against a mock on loopback; the UI is read as its page reads it (/stats/requests, which it
polls) and as a person sees it (headless Chromium renders the tab).
"""

from __future__ import annotations

import csv
import io
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_load_distributed import free_port
from test_load_run import CLI, load_env, start_mock
from test_report import chromium

pytestmark = pytest.mark.timeout(90)
PROFILE = "latency: {ttft: {dist: constant, mean_ms: 20}, itl_ms: 2}\noutput_tokens: {min: 16, max: 16}\n"


def _tables(stats: dict) -> dict[str, list[dict]]:
    return {table["key"]: table["data"] for table in stats.get("extended_stats", [])}


@pytest.fixture
def mock_url(tmp_path: Path) -> Iterator[str]:
    mock, url = start_mock(tmp_path, PROFILE)
    yield url
    mock.kill()
    mock.wait()


def _ttft_count(stats: dict) -> int:
    rows = [r for r in _tables(stats).get("llm-metrics", []) if r["scenario"] == "Aggregated"]
    return next((r["count"] for r in rows if r["metric"] == "TTFT (ms)"), 0)


@pytest.mark.slow
def test_web_ui_shows_llm_metrics_while_the_run_goes(mock_url: str, tmp_path: Path) -> None:
    url = mock_url
    port = free_port()
    out = tmp_path / "run"
    command = [
        *CLI, "load", "--web", "--web-port", str(port), "--base-url", url + "/v1", "--model", "mock-chat",
        "--users", "2", "--duration", "12s", "--out", str(out), "--input-tokens", "16",
        "--output-tokens", "16",
    ]  # fmt: skip
    run = subprocess.Popen(
        command, env=load_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    ui = f"http://127.0.0.1:{port}"
    try:
        deadline, stats = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            try:
                stats = httpx.get(ui + "/stats/requests", timeout=2).json()
            except httpx.HTTPError:
                stats = {}
            ttft = [r for r in _tables(stats).get("llm-metrics", []) if r["metric"] == "TTFT (ms)"]
            if ttft and ttft[0]["count"] >= 5:
                break
            time.sleep(0.3)
        tables = _tables(stats)
        assert set(tables) == {"llm-metrics", "llm-throughput", "llm-errors"}, stats
        rows = {(r["scenario"], r["metric"]): r for r in tables["llm-metrics"]}
        assert rows[("chat-stream", "TTFT (ms)")]["p50"] >= 20  # the profile's TTFT, measured
        assert rows[("Aggregated", "ITL (ms)")]["count"] >= 15 * rows[("Aggregated", "TTFT (ms)")]["count"]
        throughput = {r["scenario"]: r for r in tables["llm-throughput"]}
        assert throughput["Aggregated"]["tokens"] > 0 and throughput["Aggregated"]["errors"] == 0
        # Locust's own statistics hold real requests only: no TTFT/ITL pseudo-requests
        assert {entry["method"] for entry in stats["stats"]} <= {"POST", ""}
        page = httpx.get(ui + "/", timeout=5).text
        assert "LLM metrics" in page and "servecheck/stats.csv" in page
        table = list(csv.DictReader(io.StringIO(httpx.get(ui + "/servecheck/stats.csv", timeout=5).text)))
        assert ("Aggregated", "TTFT (ms)") in {(r["Scenario"], r["Metric"]) for r in table}
        dom = chromium(
            "--dump-dom", "--virtual-time-budget=5000", ui + "/?tab=llm-metrics", profile=tmp_path / "p"
        )
        assert "TTFT (ms)" in dom.stdout and "completion tokens" in dom.stdout  # the tab, rendered
        # Reset Stats resets our figures with Locust's own
        before = _ttft_count(httpx.get(ui + "/stats/requests", timeout=5).json())
        assert httpx.post(ui + "/stats/reset", timeout=5).text == "ok"
        after = _ttft_count(httpx.get(ui + "/stats/requests", timeout=5).json())
        assert after < before, (before, after)  # without the reset it only grows
    finally:
        printed, _ = run.communicate(timeout=60)
    assert run.returncode == 0, printed
    assert f"http://127.0.0.1:{port}/" in printed
    assert (out / "load.json").is_file() and (out / "servecheck_stats.csv").is_file()
