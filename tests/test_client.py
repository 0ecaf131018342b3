"""The target client: responses, streams, transport failures, 429 retries, pacing, budget and secrets.

respx stands in for the target, except in the tests at the end that need a real socket (the overall
deadline against an endless stream, an unreachable port).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest
import respx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import StreamingResponse
from starlette.routing import Route

from harness.checks.auth import WITHOUT_VALID_TOKEN, WRONG_TOKEN
from harness.targets import ConfigError
from harness.wire.client import BudgetExhausted, TargetClient
from harness.wire.exchange import Exchange, Request, SSEEvent
from harness.wire.policy import Policy, retry_after_seconds
from harness.wire.redact import redact

BASE = "http://target.test/v1"
TOKEN = "dapi-SECRET-0123456789"
CHAT = Request("POST", "/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
STREAM = Request("POST", "/chat/completions", {**CHAT.body, "stream": True})  # type: ignore[dict-item]
SSE_HEADERS = {"Content-Type": "text/event-stream; charset=utf-8"}


@pytest.fixture
def target() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client() -> Iterator[TargetClient]:
    with TargetClient(BASE, TOKEN, "DATABRICKS_TOKEN", max_backoff=0.01) as c:
        yield c


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr(Policy, "_wait", lambda self, seconds: recorded.append(seconds) or False)
    return recorded


def sse(chunks: list[bytes]) -> httpx.Response:
    return httpx.Response(200, headers=SSE_HEADERS, content=iter(chunks))


# -- responses ------------------------------------------------------------------------------------


def test_json_response(target: respx.MockRouter, client: TargetClient) -> None:
    route = target.post("/chat/completions").respond(200, json={"id": "x"}, headers={"X-Request-ID": "r1"})
    response = client.send(CHAT)
    assert response.status == 200
    assert response.json == {"id": "x"}
    assert response.events is None
    assert response.error is None
    assert response.headers["x-request-id"] == "r1"
    assert response.headers["content-type"] == "application/json"
    assert response.elapsed > 0
    sent = route.calls.last.request
    assert sent.headers["content-type"] == "application/json"
    assert orjson.loads(sent.content) == CHAT.body


def test_non_json_200(target: respx.MockRouter, client: TargetClient) -> None:
    target.post("/chat/completions").respond(
        200, text="<html>hello</html>", headers={"Content-Type": "text/html"}
    )
    response = client.send(CHAT)
    assert response.status == 200
    assert response.json is None
    assert response.body == b"<html>hello</html>"


def test_sse_stream_split_anywhere(target: respx.MockRouter, client: TargetClient) -> None:
    whole = 'data: {"c":"é"}\r\n\r\ndata: {"c":"b"}\r\n\r\ndata: [DONE]\r\n\r\n'.encode()
    cut_in_utf8 = whole.index(b"\xa9")  # between the two bytes of "é"
    cut_in_crlf = whole.index(b"\r\n") + 1  # between \r and \n
    chunks = [whole[:cut_in_utf8], whole[cut_in_utf8:cut_in_crlf], whole[cut_in_crlf:30], whole[30:]]
    target.post("/chat/completions").mock(return_value=sse(chunks))
    response = client.send(STREAM)
    assert response.events == [SSEEvent('{"c":"é"}'), SSEEvent('{"c":"b"}'), SSEEvent("[DONE]")]
    assert response.body == whole
    assert response.json is None


def test_sse_comments_multiline_data_and_missing_done(target: respx.MockRouter, client: TargetClient) -> None:
    chunks = [b": keep-alive\n\n", b'data: {"a":\ndata: 1}\n', b"\n", b": bye\n\n"]
    target.post("/chat/completions").mock(return_value=sse(chunks))
    response = client.send(STREAM)
    assert response.events == [SSEEvent('{"a":\n1}')]
    assert response.error is None


def test_stream_cut_midway_keeps_what_was_read(target: respx.MockRouter, client: TargetClient) -> None:
    def cut() -> Iterator[bytes]:
        yield b"data: one\n\n"
        yield b"data: tw"
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    target.post("/chat/completions").mock(
        return_value=httpx.Response(200, headers=SSE_HEADERS, content=cut())
    )
    response = client.send(STREAM)
    assert response.status == 200
    assert response.body == b"data: one\n\ndata: tw"
    assert response.events is not None and response.events[0] == SSEEvent("one")
    assert response.error is not None and response.error.startswith(
        "protocol error: RemoteProtocolError: peer"
    )


# -- transport failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "prefix"),
    [
        (httpx.ReadTimeout("timed out"), "timeout: ReadTimeout"),
        (httpx.ConnectTimeout("timed out"), "timeout: ConnectTimeout"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection error: ConnectError"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "connection error: ReadError"),
        (httpx.RemoteProtocolError("Server disconnected"), "protocol error: RemoteProtocolError"),
    ],
)
def test_transport_failures_become_errors(
    target: respx.MockRouter, client: TargetClient, exc: Exception, prefix: str
) -> None:
    target.post("/chat/completions").mock(side_effect=exc)
    response = client.send(CHAT)
    assert response.status == 0
    assert response.error is not None and response.error.startswith(prefix)
    assert response.body == b""


# -- 429 handling ---------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_then_200(target: respx.MockRouter, sleeps: list[float]) -> None:
    route = target.post("/chat/completions")
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={})]
    with TargetClient(BASE, TOKEN, "T") as client:
        response = client.send(CHAT)
    assert response.status == 200
    assert route.call_count == 2
    assert client.requests_sent == 2
    assert sleeps == [2.0]


def test_429_retry_after_http_date_is_capped(target: respx.MockRouter, sleeps: list[float]) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    route = target.post("/chat/completions")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": soon}),
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(200, json={}),
    ]
    with TargetClient(BASE, TOKEN, "T", max_backoff=10.0) as client:
        assert client.send(CHAT).status == 200
    assert 3.5 < sleeps[0] <= 5.0
    assert sleeps[1] == 10.0  # an hour asked, max_backoff granted


def test_429_without_retry_after_backs_off_bounded(target: respx.MockRouter, sleeps: list[float]) -> None:
    route = target.post("/chat/completions")
    route.side_effect = [httpx.Response(429)] * 3 + [httpx.Response(200, json={})]
    with TargetClient(BASE, TOKEN, "T", max_backoff=1.5) as client:
        assert client.send(CHAT).status == 200
    assert route.call_count == 4
    # exponential (1s, 2s, 4s ...) capped at max_backoff, each with jitter in [50%, 100%]
    caps = [1.0, 1.5, 1.5]
    assert len(sleeps) == len(caps)
    assert all(cap / 2 <= slept <= cap for slept, cap in zip(sleeps, caps, strict=True)), sleeps


def test_429_forever_returns_the_429(target: respx.MockRouter, sleeps: list[float]) -> None:
    route = target.post("/chat/completions").respond(429, json={"error": {"message": "slow down"}})
    with TargetClient(BASE, TOKEN, "T", max_retries=2) as client:
        response = client.send(CHAT)
    assert response.status == 429
    assert response.json == {"error": {"message": "slow down"}}
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("nan") is None
    assert retry_after_seconds(None) is None


# -- pacing and budget ----------------------------------------------------------------------------


def test_rate_paces_requests_across_threads(target: respx.MockRouter) -> None:
    target.post("/chat/completions").respond(200, json={})
    n, rate = 11, 50.0
    with TargetClient(BASE, TOKEN, "T", rate=rate) as client, ThreadPoolExecutor(4) as pool:
        started = time.monotonic()
        statuses = list(pool.map(lambda _: client.send(CHAT).status, range(n)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * n
    assert (n - 1) / rate * 0.9 <= elapsed < 3.0  # 10 gaps of 20 ms: at least 0.18 s


def test_budget_counts_every_request_and_raises(target: respx.MockRouter) -> None:
    route = target.post("/chat/completions").respond(200, json={})
    with TargetClient(BASE, TOKEN, "T", max_requests=3) as client:
        for _ in range(3):
            client.send(CHAT)
        with pytest.raises(BudgetExhausted, match="budget of 3"):
            client.send(CHAT)
    assert route.call_count == 3
    assert client.requests_sent == 3


def test_budget_includes_retries(target: respx.MockRouter, sleeps: list[float]) -> None:
    route = target.post("/chat/completions").respond(429)
    client = TargetClient(BASE, TOKEN, "T", max_requests=2, max_retries=5)
    with client, pytest.raises(BudgetExhausted):
        client.send(CHAT)
    assert route.call_count == 2


# -- auth and secrets -----------------------------------------------------------------------------


def test_auth_modes(target: respx.MockRouter, client: TargetClient) -> None:
    route = target.post("/chat/completions").respond(401, json={"error": {"message": "no"}})
    request = Request("POST", "/chat/completions", CHAT.body, {"Authorization": "Bearer smuggled"})
    seen = {}
    for mode, auth in {"default": None, **WITHOUT_VALID_TOKEN}.items():
        client.send(request, auth=auth)
        seen[mode] = route.calls.last.request.headers.get("authorization")
    assert seen == {"default": f"Bearer {TOKEN}", "no token": None, "wrong token": f"Bearer {WRONG_TOKEN}"}


def test_no_token_sends_no_header(target: respx.MockRouter) -> None:
    route = target.post("/chat/completions").respond(200, json={})
    with TargetClient(BASE, None, "T") as client:
        client.send(CHAT)
    assert "authorization" not in route.calls.last.request.headers


def test_token_appears_nowhere(target: respx.MockRouter, client: TargetClient) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        return httpx.Response(401, json={"error": {"message": f"bad {auth}"}}, headers={"X-Echo": auth})

    target.post("/chat/completions").mock(side_effect=echo)
    target.post("/completions").mock(side_effect=httpx.ConnectError(f"refused with {TOKEN}"))
    echoed = client.send(CHAT)
    failed = client.send(Request("POST", "/completions", {"prompt": "x"}))
    assert echoed.json == {"error": {"message": "bad Bearer ***"}}
    assert echoed.headers["x-echo"] == "Bearer ***"
    assert failed.error == "connection error: ConnectError: refused with ***"
    exchange = Exchange("chat", CHAT, echoed)
    for text in (repr(echoed), repr(failed), repr(exchange), repr(client), str(echoed.body)):
        assert TOKEN not in text
    assert repr(client) == "TargetClient('http://target.test/v1', api='openai', token=$DATABRICKS_TOKEN)"


def test_redact_masks_every_secret_longest_first() -> None:
    text = "key=abc123 again abc123, part abc"
    assert redact(text, ["abc", "abc123", ""]) == "key=*** again ***, part ***"
    assert redact(text, []) == text


def test_bad_construction_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="base URL"):
        TargetClient("target.test", None, "T")
    with pytest.raises(ConfigError, match="printable ASCII") as info:
        TargetClient(BASE, "SECRET\nVALUE", "T")
    assert "SECRET" not in str(info.value)


def test_the_budget_exempts_what_is_not_budgeted(target: respx.MockRouter) -> None:
    target.get("/models").respond(200, json={"data": []})
    with TargetClient(BASE, TOKEN, "T", max_requests=1) as client:
        client.send(Request("GET", "/models"), budgeted=False)
        client.send(Request("GET", "/models"))
        with pytest.raises(BudgetExhausted):
            client.send(Request("GET", "/models"))
    assert client.requests_sent == 2


# -- a real server --------------------------------------------------------------------------------


async def endless(request: StarletteRequest) -> StreamingResponse:
    async def events() -> Iterator[str]:
        for i in range(10_000):  # bounded, yet far longer than any deadline below
            yield f"data: {i}\n\n"
            await asyncio.sleep(0.05)

    return StreamingResponse(events(), media_type="text/event-stream")


async def stalls(request: StarletteRequest) -> StreamingResponse:
    async def events() -> Iterator[str]:
        yield "data: first\n\n"
        await asyncio.sleep(30)

    return StreamingResponse(events(), media_type="text/event-stream")


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a background thread; yield its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    try:
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


SLOW_APP = Starlette(
    routes=[
        Route("/v1/chat/completions", endless, methods=["POST"]),
        Route("/v1/completions", stalls, methods=["POST"]),
    ]
)


def test_overall_deadline_cuts_an_endless_stream() -> None:
    with serve(SLOW_APP) as url, TargetClient(url + "/v1", TOKEN, "T", timeout=1.0) as client:
        response = client.send(STREAM)
    assert response.status == 200
    assert 0.9 <= response.elapsed < 3.0
    assert response.error == "timeout: ReadTimeout: response not complete after the 1s deadline"
    assert response.events is not None and len(response.events) >= 5
    assert response.events[:2] == [SSEEvent("0"), SSEEvent("1")]


def test_read_timeout_between_chunks_keeps_the_first_events() -> None:
    request = Request("POST", "/completions", {"model": "m", "prompt": "x", "stream": True})
    with serve(SLOW_APP) as url, TargetClient(url + "/v1", TOKEN, "T", timeout=0.5) as client:
        response = client.send(request)
    assert response.status == 200
    assert response.elapsed < 2.0
    assert response.events == [SSEEvent("first")]
    assert response.error is not None and response.error.startswith("timeout: ReadTimeout")
