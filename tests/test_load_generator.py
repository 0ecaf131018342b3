"""The generator's own honesty: its loop lag, CPU and send lag judged into warnings, and proof that the
open loop keeps its schedule while the server stalls (no coordinated omission) where a closed loop
does not."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from asgi_support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_load_run import results, servecheck_load

from harness.load.generator import summary
from harness.load.metrics import LoadMetrics


def _series(lags: list[float]) -> list[dict]:
    return [{"sent": 10, "send_lag_ms_sum": 10 * lag} for lag in lags]


def test_a_calm_generator_draws_no_warning() -> None:
    metrics = LoadMetrics(0.0)
    for _ in range(200):
        metrics.loop_lag.add(0.8)
        metrics.record_send(1.0, 0.5)
    for _ in range(10):
        metrics.record_cpu(40.0, 90.0)
    out = summary(metrics, _series([0.5] * 9), open_loop=True)
    assert out["warnings"] == [] and not out["limited"]


def test_each_sign_of_a_saturated_generator_is_its_own_warning() -> None:
    metrics = LoadMetrics(0.0)
    for i in range(200):
        metrics.loop_lag.add(35.0 if i % 10 == 0 else 1.0)  # late a tenth of the time: over p95
        metrics.record_send(1.0, 80.0 if i % 20 == 0 else 1.0)
    for _ in range(10):
        metrics.record_cpu(97.0, 90.0)
    metrics.record_not_sent(2.0)
    out = summary(metrics, _series([1, 1, 1, 20, 40, 60]), open_loop=True)
    text = " | ".join(out["warnings"])
    assert out["limited"] and len(out["warnings"]) == 4, text
    assert "event loop woke late (p95 35.0 ms" in text
    assert "90% of a core or more for 10 s (at most 97%)" in text
    assert "growing by 49.0 ms" in text  # the last third's mean lag (50) over the first third's (1)
    assert "1 arrivals were not sent" in text
    closed = summary(metrics, [], open_loop=False)  # a closed loop has no schedule to keep
    assert len(closed["warnings"]) == 2 and closed["send_lag_growth_ms"] is None


# Not `timing`: a busier machine only makes the generator more the limit, so it shares the cores.
def test_an_overloaded_open_loop_says_the_generator_was_the_limit(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = servecheck_load(out, "--scenario", "chat", "--users", "4", "--rate", "3000", "--duration", "3s")
    run = results(out)
    assert run["generator"]["limited"] and run["open_loop"]["not_sent"] > 0
    assert "generator: " in done.stdout
    assert run["generator"]["loop_lag_ms"]["count"] > 10  # the probe ran


STALL_AFTER, STALL_S = 20, 1.0  # the server answers nothing for a second from its 20th request on


def _stalling_app() -> Starlette:
    state: dict = {"count": 0, "until": None}

    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        state["count"] += 1
        if state["count"] == STALL_AFTER:
            state["until"] = time.monotonic() + STALL_S
        if state["until"] and (wait := state["until"] - time.monotonic()) > 0:
            await asyncio.sleep(wait)  # held until the stall ends, as a paused server holds it
        message = {"role": "assistant", "content": "ok"}
        usage = {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
        return JSONResponse(
            {
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "model": body.get("model", "m"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": usage,
            }
        )

    async def models(_: Request) -> JSONResponse:
        return JSONResponse(
            {"object": "list", "data": [{"id": "m", "object": "model", "created": 1, "owned_by": "x"}]}
        )

    return Starlette(
        routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)]
    )


def _held(out: Path) -> list[dict]:
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return [row for row in rows if row["latency_ms"] >= 300]


@pytest.mark.timing
def test_the_open_loop_keeps_its_schedule_while_the_server_stalls(tmp_path: Path) -> None:
    """Coordinated omission, shown: during the stall the open loop goes on sending (40 req/s), so every
    request a user would have sent meets the stall; two closed-loop users send two and wait."""
    rate, common = 40, ("--scenario", "chat", "--model", "m", "--duration", "4s")
    with serving(_stalling_app()) as url:
        done = servecheck_load(tmp_path / "open", "--base-url", url + "/v1", "--rate", str(rate), *common)
    assert done.returncode == 0, done.stdout + done.stderr
    with serving(_stalling_app()) as url:
        done = servecheck_load(tmp_path / "closed", "--base-url", url + "/v1", "--users", "2", *common)
    assert done.returncode == 0, done.stdout + done.stderr
    opened, closed = _held(tmp_path / "open"), _held(tmp_path / "closed")
    assert len(opened) >= 0.6 * rate * STALL_S  # sent on schedule into the stall: each one saw it
    assert len(closed) <= 2  # one in flight per user: the stall is a single sample each
    open_run = results(tmp_path / "open")
    assert open_run["open_loop"]["send_lag_ms"]["p99"] < 50  # the generator itself kept time
    assert (
        open_run["metrics"]["latency_ms"]["p90"]
        > 10 * results(tmp_path / "closed")["metrics"]["latency_ms"]["p50"]
    )
