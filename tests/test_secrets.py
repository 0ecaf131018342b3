"""Secrets are kept: every command that takes a token runs with a recognisable one against a mock that
enforces it, and every byte the command writes (stdout, stderr, every file of its run folder, the extra
JUnit file) is scanned for it. Runs include failures (so curl reproductions and response excerpts are
written), an endpoint that echoes the token back in its error messages, a rejected token and a target
that does not answer. Plus the mock's side: constant-time comparison, loopback by default.
"""

from __future__ import annotations

import hmac
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from asgi_support import serving
from starlette.types import ASGIApp, Receive, Scope, Send

from harness.load.runner import LOOPBACK_ONLY_ENV
from harness.targets import ConfigError
from harness.wire.client import TargetClient, TargetUnreachable
from harness.wire.preflight import preflight
from harness.wire.redact import FRAGMENT
from mock_server import auth, server
from mock_server.app import create_app
from mock_server.profile import load_profile
from mock_server.server import running_mock

TOKEN = "sk-SECRET-Vq4c7f9a2e1b8dK3wz"  # random-looking, as real tokens are: any 8-character piece is masked
CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
TARGET_VARS = ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")
pytestmark = pytest.mark.timeout(90)


# --- scanning ----------------------------------------------------------------------------------------


def fragments(secret: str, width: int = FRAGMENT) -> set[bytes]:
    """Every `width`-character piece of the secret: a cut-off or partly masked echo leaks one too."""
    return {secret[i : i + width].encode() for i in range(len(secret) - width + 1)}


def assert_no_secret(where: str, data: bytes | str) -> None:
    blob = data.encode() if isinstance(data, str) else data
    leaked = sorted(piece.decode() for piece in fragments(TOKEN) if piece in blob)
    assert not leaked, f"{where} holds the token (pieces {leaked[:3]})"


def scan(*outputs: str | bytes, dirs: tuple[Path, ...] = (), files: tuple[Path, ...] = ()) -> list[Path]:
    """Assert that no output and no file (every file under `dirs`, and `files`) holds the token;
    returns the files scanned."""
    for i, output in enumerate(outputs):
        assert_no_secret(f"output {i}", output)
    scanned = [p for d in dirs for p in sorted(d.rglob("*")) if p.is_file()] + list(files)
    for path in scanned:
        assert_no_secret(str(path), path.read_bytes())
    return scanned


def test_the_scan_finds_a_token_even_cut_or_partly_masked() -> None:
    for leak in (TOKEN, f"key={TOKEN[:14]}", f"...{TOKEN[-12:]}", f"{TOKEN[:8]}***{TOKEN[11:]}"):
        with pytest.raises(AssertionError):
            assert_no_secret("sample", f"said: {leak}!")
    assert_no_secret("sample", "Authorization: Bearer $OPENAI_API_KEY, sk-SECR***")


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in TARGET_VARS}
    return {**clean, LOOPBACK_ONLY_ENV: "1", **extra}


def run(*args: str, environ: dict[str, str], timeout: float = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=environ, capture_output=True, text=True, timeout=timeout)


# --- targets -----------------------------------------------------------------------------------------


def echoing(app: ASGIApp) -> ASGIApp:
    """The mock, except that every authorised chat request gets a 500 whose error message quotes the
    Authorization header back: the careless upstream whose echo must still not reach our reports."""

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"")
        if (
            scope["type"] == "http"
            and scope["path"].endswith("/chat/completions")
            and TOKEN.encode() in given
        ):
            message = f"upstream refused the request made with '{given.decode()}' (key {TOKEN})"
            body = orjson.dumps(
                {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
            )
            start = {"type": "http.response.start", "status": 500}
            start["headers"] = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return echo


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with serving(echoing(create_app(load_profile("fast"), TOKEN))) as root:
        yield root


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- servecheck contract ---------------------------------------------------------------------------

LOAD_ARGS = ("load", "--duration", "3s", "--users", "2", "--input-tokens", "16", "--output-tokens", "8")
CONTRACT = (
    "contract",
    "--model",
    "mock-chat",
    "--seed",
    "7",
    "--examples",
    "3",
    "--families",
    "chat,stream,errors,auth",
)


@pytest.mark.parametrize("via", ["environment", "--token-env"])
def test_contract_with_failures_writes_no_token(tmp_path: Path, via: str) -> None:
    out, junit = tmp_path / "run", tmp_path / "extra-junit.xml"
    variable = "OPENAI_API_KEY" if via == "environment" else "MY_SERVING_KEY"
    flags = ("--token-env", variable) if via == "--token-env" else ()
    with running_mock(token=TOKEN, defects=["usage_mismatch"]) as root:
        done = run(*CONTRACT, "--base-url", root + "/v1", *flags, "--out", str(out), "--junit", str(junit),
                   environ=env(**{variable: TOKEN}))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # a violation found, with the token accepted
    report = orjson.loads((out / "contract.json").read_bytes())
    assert report["families"]["auth"]["status"] == "passed"  # the token was really sent and enforced
    failure = report["families"]["chat"]["failures"][0]
    assert f'"Authorization: Bearer ${variable}"' in failure["curl"]  # the placeholder, not the token
    scanned = scan(done.stdout, done.stderr, dirs=(out,), files=(junit,))
    assert {p.name for p in scanned} >= {"contract.json", "junit.xml", "findings.jsonl", "extra-junit.xml"}


def test_contract_masks_a_token_the_endpoint_echoes(tmp_path: Path, echo_url: str) -> None:
    out, junit = tmp_path / "run", tmp_path / "junit.xml"
    done = run(*CONTRACT, "--base-url", echo_url + "/v1", "--token-env", "MY_SERVING_KEY", "--out", str(out),
               "--junit", str(junit), environ=env(MY_SERVING_KEY=TOKEN))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    failures = orjson.loads((out / "contract.json").read_bytes())["families"]["chat"]["failures"]
    excerpts = [f["response"]["excerpt"] for f in failures]
    assert any("upstream refused the request made with 'Bearer ***' (key ***)" in e for e in excerpts)
    scan(done.stdout, done.stderr, dirs=(out,), files=(junit,))


def test_a_rejected_token_is_not_printed(tmp_path: Path) -> None:
    with running_mock(token="the-right-one") as root:
        done = run(
            *CONTRACT, "--base-url", root + "/v1", "--out", str(tmp_path), environ=env(OPENAI_API_KEY=TOKEN)
        )
    assert done.returncode == 2 and "authentication rejected" in done.stderr, done.stderr
    scan(done.stdout, done.stderr, dirs=(tmp_path,))


def test_an_unreachable_target_is_reported_without_the_token(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run(*CONTRACT, "--base-url", url, "--out", str(tmp_path), environ=env(OPENAI_API_KEY=TOKEN))
    assert done.returncode == 2 and "nothing answers" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    scan(done.stdout, done.stderr, dirs=(tmp_path,))


@pytest.mark.parametrize("command", [CONTRACT, LOAD_ARGS], ids=["contract", "load"])
def test_a_token_no_header_can_carry_is_refused_without_quoting_it(tmp_path: Path, command: tuple) -> None:
    # HTTP libraries reject such a header value with an error that quotes it (Locust logged it).
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run(
        *command, "--base-url", url, "--out", str(tmp_path), environ=env(OPENAI_API_KEY=TOKEN + "\r\nX: 1")
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "$OPENAI_API_KEY holds characters an HTTP header cannot carry" in done.stderr
    assert "Traceback" not in done.stderr
    scan(done.stdout, done.stderr, dirs=(tmp_path,))


def test_client_exceptions_do_not_carry_the_token() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with (
        TargetClient(url, TOKEN, "OPENAI_API_KEY", timeout=2) as client,
        pytest.raises(TargetUnreachable) as caught,
    ):
        preflight(client, "openai", {"chat": "m"})
    assert_no_secret("exception", f"{caught.value} {caught.value!r} {caught.value.args}")
    with pytest.raises(ConfigError) as bad:
        TargetClient("http://127.0.0.1:1/v1", TOKEN + "\n", "OPENAI_API_KEY")
    assert_no_secret("exception", str(bad.value))


# --- the pytest plugin --------------------------------------------------------------------------------


def test_the_pytest_plugin_writes_no_token(tmp_path: Path, echo_url: str) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    junit = tmp_path / "plugin-junit.xml"
    command = [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
               str(tmp_path / "test_own.py"), "--junitxml", str(junit),
               "--servecheck-base-url", echo_url + "/v1", "--servecheck-model", "mock-chat",
               "--servecheck-token-env", "MY_SERVING_KEY", "--servecheck-families", "chat,auth",
               "--servecheck-examples", "3", "--servecheck-seed", "7"]  # fmt: skip
    done = subprocess.run(command, env=env(MY_SERVING_KEY=TOKEN), capture_output=True, text=True, timeout=80)
    assert done.returncode == 1, done.stdout + done.stderr  # the echoing chat route fails its checks
    # On CI pytest does not cut the summary line, so the node id is followed by " - message".
    failed = [line.split(" - ")[0] for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert any(node.endswith("::servecheck[chat::transport.status]") for node in failed), done.stdout
    assert "Bearer $MY_SERVING_KEY" in done.stdout  # the curl reproduction was printed
    scan(done.stdout, done.stderr, files=(junit,))


# --- servecheck load ---------------------------------------------------------------------------------


def test_load_writes_no_token(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with running_mock(token=TOKEN) as root:
        done = run(*LOAD_ARGS, "--base-url", root + "/v1", "--validate-sample", "1", "--out", str(out),
                   environ=env(OPENAI_API_KEY=TOKEN))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    results = orjson.loads((out / "load.json").read_bytes())
    assert results["requests"] > 0 and results["errors_by_kind"] == {}  # the token was accepted
    scanned = scan(done.stdout, done.stderr, dirs=(out,))
    assert {"load.json", "locust.log", "locust_stats.csv", "live.jsonl", "samples.jsonl"} <= {
        p.name for p in scanned
    }


def test_load_against_an_echoing_endpoint_writes_no_token(tmp_path: Path, echo_url: str) -> None:
    out = tmp_path / "run"
    done = run(*LOAD_ARGS, "--base-url", echo_url + "/v1", "--token-env", "MY_SERVING_KEY", "--out", str(out),
               environ=env(MY_SERVING_KEY=TOKEN))  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # every answer is a 500: a failed run
    results = orjson.loads((out / "load.json").read_bytes())
    assert set(results["errors_by_kind"]) == {"http_500"}  # every request was answered with the echo
    scan(done.stdout, done.stderr, dirs=(out,))


def test_load_against_nothing_writes_no_token(tmp_path: Path) -> None:
    out = tmp_path / "run"
    url = f"http://127.0.0.1:{closed_port()}/v1"
    done = run(*LOAD_ARGS, "--base-url", url, "--out", str(out), environ=env(OPENAI_API_KEY=TOKEN))
    assert "Traceback" not in done.stderr
    scan(done.stdout, done.stderr, dirs=(out,))


# --- servecheck mock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["--token", "SERVECHECK_MOCK_TOKEN"])
def test_the_mock_never_shows_its_token(via: str) -> None:
    flags = ["--token", TOKEN] if via == "--token" else []
    environ = env(SERVECHECK_MOCK_TOKEN=TOKEN) if via != "--token" else env()
    proc = subprocess.Popen([*CLI, "mock", "--port", "0", *flags], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first = proc.stdout.readline() if proc.stdout else ""
        root = first.split(" on ", 1)[1].split()[0]
        body = {"model": "mock-chat", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
        with httpx.Client(base_url=root, timeout=10) as http:
            wrong = http.post(
                "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {TOKEN}x"}
            )
            right = http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
            missing = http.post("/v1/chat/completions", json=body)
        assert (wrong.status_code, right.status_code, missing.status_code) == (401, 200, 401)
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        stdout = proc.stdout.read() if proc.stdout else ""  # what readline left in the buffer, and after
        stderr = proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
    assert "Bearer token required" in first + stdout
    scan(first, stdout, stderr, wrong.content, missing.content, right.content)


# --- the mock's own guarantees -----------------------------------------------------------------------


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    secret = TOKEN.encode()
    assert auth.authorized(f"Bearer {TOKEN}", secret)
    assert auth.authorized(f"bearer  {TOKEN} ", secret)
    assert not auth.authorized(f"Bearer {TOKEN[:-1]}", secret)  # a prefix is not the token
    assert not auth.authorized(f"Bearer {TOKEN}0", secret)
    assert not auth.authorized(f"Basic {TOKEN}", secret)
    assert not auth.authorized(None, secret)
    assert len(calls) == 4  # every bearer comparison went through hmac.compare_digest


def test_the_mock_binds_loopback_by_default() -> None:
    with running_mock() as root:
        assert root.startswith("http://127.0.0.1:")
    done = subprocess.run([*CLI, "mock", "--help"], env=env(), capture_output=True, text=True, timeout=30)
    assert "127.0.0.1" in done.stdout


def test_the_mock_warns_when_told_to_bind_elsewhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(host: str, port: int) -> socket.socket:
        raise OSError("not bound: this test never listens beyond loopback")

    monkeypatch.setattr(server, "bind", refuse)
    with pytest.raises(OSError):
        server.serve(create_app(), "192.0.2.10", 0)
    assert "192.0.2.10, not a loopback address" in capsys.readouterr().err
    with pytest.raises(OSError):
        server.serve(create_app(), "127.0.0.1", 0)
    assert capsys.readouterr().err == ""
    with (
        pytest.warns(UserWarning, match="not a loopback address"),
        pytest.raises(OSError),
        running_mock(host="192.0.2.10"),
    ):
        pass
