"""Server-side truth: where a target's Prometheus metrics are, reading them, and a load run that scrapes
the mock's (whose batch slots fill on cue) once a second, time-aligned with its own series."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asgi_support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from test_load_run import load_env, results, servecheck_load
from test_load_saturation import CAPPED

from harness.load.server_metrics import metrics_url, parse, same_origin


def test_where_the_metrics_are() -> None:
    assert metrics_url("auto", "http://h:8000/v1", "openai", "m") == "http://h:8000/metrics"  # vLLM's root
    assert metrics_url("auto", "https://adb-1.net", "databricks", "ep") == (
        "https://adb-1.net/api/2.0/serving-endpoints/ep/metrics"
    )
    assert metrics_url("off", "http://h/v1", "openai", "m") is None
    assert (
        metrics_url("http://other:9090/metrics", "http://h/v1", "openai", "m") == "http://other:9090/metrics"
    )
    assert same_origin("http://h:8000/metrics", "http://h:8000/v1")
    assert not same_origin("http://h:9090/metrics", "http://h:8000/v1")
    assert not same_origin("https://h:8000/metrics", "http://h:8000/v1")


def test_parse_sums_label_sets_and_keeps_histogram_sums_not_buckets() -> None:
    text = (
        "# TYPE vllm:num_requests_running gauge\n"
        'vllm:num_requests_running{model_name="a"} 3\nvllm:num_requests_running{model_name="b"} 2\n'
        "# TYPE vllm:e2e_request_latency_seconds histogram\n"
        'vllm:e2e_request_latency_seconds_bucket{le="+Inf"} 4\n'
        "vllm:e2e_request_latency_seconds_sum 1.5\nvllm:e2e_request_latency_seconds_count 4\n"
    )
    assert parse(text) == {
        "vllm:num_requests_running": 5.0,
        "vllm:e2e_request_latency_seconds_sum": 1.5,
        "vllm:e2e_request_latency_seconds_count": 4.0,
    }


def test_a_load_run_reads_the_servers_queue_and_slots(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(CAPPED)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--users", "6", "--duration", "4s",
        "--output-tokens", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    found = results(out)["server_metrics"]
    assert found["available"] and found["url"] == url + "/metrics" and found["scrapes"] >= 3
    peak = {key: max(v for _, v in entry["points"]) for key, entry in found["series"].items()}
    assert peak == {"running": 2.0, "waiting": 4.0, "kv_cache_usage": 1.0}  # 6 users, 2 slots
    assert found["series"]["waiting"]["metric"] == "vllm:num_requests_waiting"
    lines = [json.loads(line) for line in (out / "server_metrics.jsonl").read_text().splitlines()]
    assert len(lines) == found["scrapes"] and all(0 <= line["t"] < 6 for line in lines)
    assert found["metrics"]["vllm:request_success_total"]["last"] > 0
    assert "server metrics (" in done.stdout


@pytest.mark.slow
def test_a_target_without_metrics_is_said_to_have_none(tmp_path: Path, mock_proc) -> None:
    url = mock_proc(CAPPED)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--duration", "2s",
        "--server-metrics", url + "/not-metrics",
    )  # fmt: skip
    found = results(out)["server_metrics"]
    assert not found["available"] and found["scrapes"] == 0
    assert found["reason"] == f"GET {url}/not-metrics: HTTP 404"
    assert "server metrics: none (GET" in done.stdout and not (out / "server_metrics.jsonl").exists()
    off = servecheck_load(tmp_path / "off", "--duration", "2s", "--server-metrics", "off")
    assert results(tmp_path / "off")["server_metrics"] == {
        "available": False,
        "reason": "--server-metrics off",
    }
    assert off.returncode == 0


def test_the_token_never_goes_to_another_origins_metrics(tmp_path: Path, mock_proc) -> None:
    token = "sk-metrics-SECRET-77aa"
    url = mock_proc(CAPPED, token=token)
    seen: list[str | None] = []

    async def metrics(request: Request) -> Response:
        seen.append(request.headers.get("authorization"))
        return Response("# TYPE up gauge\nup 1\n", media_type="text/plain")

    with serving(Starlette(routes=[Route("/metrics", metrics)])) as other:
        done = servecheck_load(
            tmp_path / "run", "--base-url", url + "/v1", "--model", "mock-chat", "--duration", "2s",
            "--server-metrics", other + "/metrics", env=load_env(OPENAI_API_KEY=token),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert seen and seen == [None] * len(seen)  # scraped, and never with the target's token
    assert results(tmp_path / "run")["server_metrics"]["metrics"]["up"]["last"] == 1.0


def _miscounting_app() -> Starlette:
    """Answers "hello there" (two o200k tokens) and says it generated seven."""

    async def chat(request: Request) -> Response:
        body = {
            "id": "c", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello there"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
        }  # fmt: skip
        return Response(json.dumps(body), media_type="application/json")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.mark.slow
def test_usage_is_compared_with_our_tokenizer(tmp_path: Path, mock_proc) -> None:
    """The mock counts with o200k as we do: they agree; a server whose usage says 7 tokens for a
    two-token answer differs on every answer."""
    honest = mock_proc(CAPPED)
    common = ("--model", "mock-chat", "--scenario", "chat", "--duration", "2s", "--server-metrics", "off")
    done = servecheck_load(tmp_path / "honest", "--base-url", honest + "/v1", *common)
    assert "usage vs tokenizer (o200k_base)" in " ".join(done.stdout.split())
    with serving(_miscounting_app()) as lying:
        servecheck_load(tmp_path / "lying", "--base-url", lying + "/v1", *common)
    agree, differ = results(tmp_path / "honest")["token_counts"], results(tmp_path / "lying")["token_counts"]
    assert agree["answers"] > 0 and agree["ratio"] == 1.0 and agree["differing_answers"] == 0
    assert differ["answers"] == differ["differing_answers"] > 0 and differ["ratio"] == 3.5
