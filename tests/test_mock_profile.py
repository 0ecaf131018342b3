"""Profiles: loading (good and bad files), latency that really delays, reproducible faults, and the
`servecheck mock` command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mock_support import CHAT, HELLO
from starlette.testclient import TestClient
from typer.testing import CliRunner

from harness.cli import app as cli
from mock_server.app import create_app
from mock_server.profile import (
    Delay,
    Faults,
    Latency,
    OutputTokens,
    Profile,
    ProfileError,
    SlowResponses,
    load_profile,
)
from mock_server.server import is_loopback, running_mock

pytestmark = pytest.mark.timing  # asserts on wall-clock time: run alone (make test)

CHAT_BODY = {"model": CHAT, "messages": HELLO}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    return path


def test_builtin_profiles() -> None:
    assert load_profile("fast") == load_profile(None) == Profile()
    realistic = load_profile("realistic")
    assert realistic.latency.ttft == Delay("lognormal", 150.0, 0.35)
    assert realistic.latency.itl_ms == 15 and realistic.faults == Faults()


def test_custom_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
seed: 42
models:
  - {name: big-chat, kind: chat}
  - {name: tiny-embed, kind: embedding, dimensions: 32}
latency: {ttft: {dist: normal, mean_ms: 20, sigma: 5}, itl_ms: 2}
faults: {errors: {429: 0.01, 503: 0.02}, dropped_streams: 0.1, slow_responses: {rate: 0.05, delay_ms: 500}}
rate_limit: 50
defects: [usage_mismatch]
""",
    )
    profile = load_profile(str(path))
    assert profile.name == "profile" and profile.seed == 42
    assert [m.name for m in profile.models] == ["big-chat", "tiny-embed"] and profile.models[
        1
    ].dimensions == 32
    assert profile.faults.errors == {429: 0.01, 503: 0.02} and profile.rate_limit == 50.0
    client = TestClient(create_app(profile))
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["big-chat", "tiny-embed"]
    assert (
        len(
            client.post("/v1/embeddings", json={"model": "tiny-embed", "input": "x"}).json()["data"][0][
                "embedding"
            ]
        )
        == 32
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency: [1, 2", "not valid YAML (line"),
        ("- just\n- a list", "top level: expected a mapping"),
        ("sede: 1", "unknown key 'sede'"),
        ("seed: lots", "seed: expected int"),
        ("latency: {ttft: {dist: weibull}}", "latency.ttft.dist: must be one of constant, normal, lognormal"),
        ("latency: {itl_ms: -5}", "latency.itl_ms and itl_jitter_ms must be >= 0"),
        ("faults: {errors: {503: 1.5}}", "faults.errors.503: must be between 0 and 1"),
        ("faults: {errors: {200: 0.1}}", "faults.errors: 200 is not an HTTP error status"),
        ("faults: {errors: {429: 0.6, 503: 0.6}}", "faults.errors: the rates add up to more than 1"),
        ("models: [{name: a}, {name: a}]", "models: names must be unique"),
        ("models: [{kind: chat}]", "models[0]"),
        ("models: []", "models: at least one model"),
        ("output_tokens: {min: 10, max: 5}", "output_tokens.max: must be between min (10) and"),
        ("rate_limit: 0", "rate_limit: must be > 0"),
        ("defects: [no_such_defect]", "defects: unknown no_such_defect"),
    ],
)
def test_bad_profile_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_profile_names_the_builtins() -> None:
    with pytest.raises(ProfileError, match=r"no such file \(built-in profiles: fast, realistic\)"):
        load_profile("nonexistent")


def test_cli_bad_profile_exits_2_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["mock", "--profile", str(write(tmp_path, "seed: [1"))])
    assert result.exit_code == 2
    assert "not valid YAML" in result.output and "Traceback" not in result.output


def test_cli_unknown_defect_exits_2() -> None:
    result = CliRunner().invoke(cli, ["mock", "--defect", "nope"])
    assert result.exit_code == 2 and "unknown defect 'nope'" in result.output


def test_profile_defects_apply() -> None:
    client = TestClient(create_app(Profile(defects=("usage_mismatch",))))
    usage = client.post("/v1/chat/completions", json=CHAT_BODY).json()["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] + 1


# --- latency and faults ------------------------------------------------------------------------

SLOW = Profile(
    latency=Latency(ttft=Delay("constant", 100.0), itl_ms=10.0),
    output_tokens=OutputTokens(10, 10),
)


def test_latency_delays_plain_answers() -> None:
    client = TestClient(create_app(SLOW))
    start = time.monotonic()
    assert client.post("/v1/chat/completions", json=CHAT_BODY).status_code == 200
    assert 0.18 <= time.monotonic() - start < 5  # TTFT 100 ms + 10 tokens x 10 ms


def test_latency_paces_streams() -> None:
    with running_mock(SLOW) as url, httpx.Client(timeout=10) as http:
        start = time.monotonic()
        arrivals = []
        with http.stream(
            "POST", f"{url}/v1/chat/completions", json={**CHAT_BODY, "stream": True}
        ) as response:
            for line in response.iter_lines():
                if '"content":"' in line and '"content":""' not in line:
                    arrivals.append(time.monotonic() - start)
    assert len(arrivals) == 10
    assert arrivals[0] >= 0.09  # TTFT
    assert arrivals[-1] - arrivals[0] >= 9 * 0.009  # 9 inter-token gaps of 10 ms
    assert arrivals[-1] < 5


def statuses(profile: Profile, count: int = 40) -> list[int]:
    client = TestClient(create_app(profile))
    return [client.post("/v1/chat/completions", json=CHAT_BODY).status_code for _ in range(count)]


def test_injected_errors_are_seeded_and_reproducible() -> None:
    profile = Profile(seed=7, faults=Faults(errors={429: 0.3, 503: 0.2}))
    first = statuses(profile)
    assert first == statuses(profile)  # same seed, same requests: same faults
    assert {200, 429, 503} <= set(first)
    assert first != statuses(Profile(seed=8, faults=Faults(errors={429: 0.3, 503: 0.2})))


def test_injected_error_is_an_envelope_with_retry_after() -> None:
    client = TestClient(create_app(Profile(faults=Faults(errors={503: 1.0}))))
    response = client.post("/v1/chat/completions", json=CHAT_BODY)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "server_error"


def test_dropped_streams_stop_half_way() -> None:
    client = TestClient(create_app(Profile(faults=Faults(dropped_streams=1.0))))
    body = client.post("/v1/chat/completions", json={**CHAT_BODY, "stream": True}).text
    assert body.startswith("data: ") and "[DONE]" not in body and 'finish_reason":"stop' not in body


def test_slow_responses() -> None:
    profile = Profile(faults=Faults(slow_responses=SlowResponses(1.0, 150)))
    client = TestClient(create_app(profile))
    start = time.monotonic()
    client.post("/v1/chat/completions", json=CHAT_BODY)
    assert 0.14 <= time.monotonic() - start < 5


# --- the command -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_serves_until_terminated() -> None:
    port = free_port()
    env = {**os.environ, "SERVECHECK_MOCK_TOKEN": "cli-token"}
    servecheck = Path(sys.executable).parent / "servecheck"  # the installed entry point
    process = subprocess.Popen(
        [str(servecheck), "mock", "--port", str(port), "--defect", "usage_mismatch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline()
        assert f"servecheck mock on http://127.0.0.1:{port}" in first
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/health", timeout=5).json() == {"status": "ok"}
        assert httpx.get(f"{url}/v1/models", timeout=5).status_code == 401
        ok = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer cli-token"}, timeout=5)
        assert ok.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        out, err = process.stdout.read(), process.stderr.read()
    assert process.returncode == 0, err
    assert "cli-token" not in first + out + err
    assert "OpenAI base URL" in out and "/serving-endpoints" in out and "usage_mismatch" in out


def test_cli_busy_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["mock", "--port", str(port)])
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in result.output


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.com")


def test_latency_delays_embeddings_but_not_the_models_list() -> None:
    client = TestClient(create_app(SLOW))
    start = time.monotonic()
    client.get("/v1/models")
    assert time.monotonic() - start < 0.09
    client.post("/v1/embeddings", json={"model": "mock-embed", "input": "x"})
    assert 0.09 <= time.monotonic() - start < 5


def test_the_first_streamed_answer_of_a_fresh_mock_is_not_late(mock_proc) -> None:
    """A fresh `servecheck mock` process: its first stream is as quick as the next ones (Starlette's
    first stream imported anyio's backend, 25 ms inside a client's first TTFT)."""
    url = mock_proc("latency: {ttft: {dist: constant, mean_ms: 0}, itl_ms: 0}\n")
    body = {"model": "mock-chat", "messages": HELLO, "max_tokens": 4, "stream": True}
    took = []
    with httpx.Client(base_url=url, timeout=10) as client:
        client.get("/health")  # the connection is up: what follows is the answer alone
        for _ in range(6):
            started = time.perf_counter()
            client.post("/v1/chat/completions", json=body).raise_for_status()
            took.append(time.perf_counter() - started)
    later = sorted(took[1:])[2]
    assert took[0] < later + 0.012, took
