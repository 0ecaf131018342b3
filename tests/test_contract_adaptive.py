"""The adaptive family end to end: probes built from the mock's own answers, judged; each of its checks
fails on the mock defect it is about; a replay that goes another way is reported as not judged."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path

import orjson
import pytest
from asgi_support import serving
from mock_support import CAUGHT_ADAPTIVELY
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from test_contract_e2e import clean_env, contract, report

from harness.contract.adaptive import stop_from
from mock_server.app import create_app
from mock_server.server import running_mock

PROBE_CHECKS = {
    "openai": {"adaptive.stop", "adaptive.length", "models.listed", "models.retrieve"},
    "databricks": {"adaptive.stop", "adaptive.length", "databricks.endpoint", "databricks.served_model"},
}


def adaptive_run(root: str, api: str, token: str, out: Path, *extra: str) -> tuple[int, str, dict]:
    base = root + "/v1" if api == "openai" else root
    code, output = contract(
        "--api", api, "--base-url", base, "--model", "mock-chat", "--families", "adaptive",
        "--out", str(out), *extra,
        env={**clean_env(), "OPENAI_API_KEY" if api == "openai" else "DATABRICKS_TOKEN": token},
    )  # fmt: skip
    return code, output, report(out)["families"]["adaptive"]


@pytest.mark.parametrize("api", ["openai", "databricks"])
def test_the_clean_mock_passes_every_probe(api: str, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    with running_mock(token=token) as root:
        code, output, family = adaptive_run(root, api, token, tmp_path)
    assert code == 0, output
    assert family["status"] == "passed" and family["unjudged"] == {}
    assert PROBE_CHECKS[api] <= {name for name, tally in family["checks"].items() if tally["passed"]}
    assert family["requests"] == 5


@pytest.mark.parametrize("defect", sorted(CAUGHT_ADAPTIVELY))
def test_each_probe_check_fails_on_its_defect(defect: str, tmp_path: Path) -> None:
    api, check = CAUGHT_ADAPTIVELY[defect]
    token = secrets.token_urlsafe(16)
    with running_mock(token=token, defects=[defect]) as root:
        code, output, family = adaptive_run(root, api, token, tmp_path)
    assert code == 1, output
    caught = next(f for f in family["failures"] if f["check"] == check)
    assert caught["note"].startswith("adaptive: ") and caught["curl"].startswith("curl ")
    assert token not in (tmp_path / "contract.json").read_text() and token not in output


def reseeding(app: ASGIApp) -> ASGIApp:
    """`app` behind a proxy that gives every chat request another seed: a target whose answers to the
    same request differ."""
    seeds = itertools.count(100)

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await app(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        data = orjson.loads(body)
        data["seed"] = next(seeds)
        replaced = orjson.dumps(data)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-length"] + [
            (b"content-length", str(len(replaced)).encode())
        ]

        async def once() -> dict:
            return {"type": "http.request", "body": replaced, "more_body": False}

        await app(scope, once, send)

    return proxy


def test_a_replay_that_goes_another_way_is_not_judged(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    with serving(reseeding(create_app(token=token))) as root:
        code, output, family = adaptive_run(root, "openai", token, tmp_path)
    assert code == 0, output  # nothing failed, and two checks said why they judged nothing
    assert {"adaptive.stop", "adaptive.length"} <= set(family["unjudged"])
    assert "deterministic" in family["unjudged"]["adaptive.stop"]
    assert "adaptive.stop" not in family["checks"] and "models.listed" in family["checks"]
    assert "NOT JUDGED adaptive / adaptive.stop" in output


def without_model_records(app: ASGIApp) -> ASGIApp:
    """`app` with no GET /v1/models/{id} (vLLM serves none): 404."""

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/models/"):
            return await Response("no such route", 404)(scope, receive, send)
        return await app(scope, receive, send)

    return proxy


def test_a_probe_refused_is_not_judged_with_what_came_back(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    with serving(without_model_records(create_app(token=token))) as root:
        code, output, family = adaptive_run(root, "openai", token, tmp_path)
    assert code == 0, output
    assert family["unjudged"] == {"models.retrieve": "GET /models/mock-chat got status 404"}


def test_the_stop_word_is_one_the_base_answer_reaches_first_past_its_first_third() -> None:
    text = "The lamp turns slowly. The lamp sweeps the dark water below."
    word = stop_from(text)
    assert word is not None and text.index(word) >= len(text) // 3
    assert text.find(word) == text.index(word) and word != "lamp"
    assert stop_from("ok") is None
