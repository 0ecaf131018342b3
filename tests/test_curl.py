"""curl reproductions: they parse back to the same request, and a real shell expands the token variable."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

import orjson
import pytest

from harness.wire.curl import curl_command
from harness.wire.exchange import Request

BODY = {
    "model": "m",
    "messages": [{"role": "user", "content": 'it\'s "quoted" $HOME `ls` é\nnext line; rm -rf /'}],
    "stream": True,
}
REQUEST = Request("POST", "/serving-endpoints/chat/completions", BODY, {"X-Trace": "a b"})
BASE = "https://adb-1.azuredatabricks.net/"


def test_round_trip_through_shlex() -> None:
    args = shlex.split(curl_command(REQUEST, BASE, "DATABRICKS_TOKEN"))
    assert args[:5] == [
        "curl",
        "-N",
        "-X",
        "POST",
        "https://adb-1.azuredatabricks.net/serving-endpoints/chat/completions",
    ]
    headers = [args[i + 1] for i, arg in enumerate(args) if arg == "-H"]
    assert headers == [
        "Authorization: Bearer $DATABRICKS_TOKEN",
        "X-Trace: a b",
        "Content-Type: application/json",
    ]
    assert orjson.loads(args[args.index("--data-raw") + 1]) == BODY


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_real_shell_expands_the_token_and_nothing_else() -> None:
    command = curl_command(REQUEST, BASE, "DATABRICKS_TOKEN")
    script = 'curl() { printf "%s\\0" "$@"; }\n' + command  # a stand-in curl that prints its arguments
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/nowhere", "DATABRICKS_TOKEN": "tok-123"}
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True, timeout=10).stdout
    args = out.decode().split("\0")[:-1]
    assert "Authorization: Bearer tok-123" in args
    assert orjson.loads(args[args.index("--data-raw") + 1]) == BODY


def test_no_stream_no_body_no_token() -> None:
    command = curl_command(Request("GET", "/models"), "http://127.0.0.1:8000/v1", None)
    assert command == "curl -X GET http://127.0.0.1:8000/v1/models"


def test_placeholder_never_the_value() -> None:
    request = Request("POST", "/embeddings", {"model": "e", "input": "x"})
    command = curl_command(request, "http://h/v1", "OPENAI_API_KEY")
    assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in command
    assert " -N " not in command


def test_bad_env_name_is_refused() -> None:
    with pytest.raises(ValueError, match="environment variable"):
        curl_command(REQUEST, BASE, "TOKEN; rm -rf /")
