"""The pre-flight: every way a target can be untestable gets one line (exit 2 in the commands), and
missing models are discovered from the target's list. respx stands in for the target; the last test
needs a real socket with nothing listening."""

from __future__ import annotations

import socket

import pytest
import respx

from harness.wire.client import TargetClient, TargetUnreachable
from harness.wire.preflight import TargetRefused, discover, preflight

BASE = "http://target.test/v1"
LISTED = {"object": "list", "data": [{"id": "acme-chat"}, {"id": "acme-embed-small"}]}
OK = {"id": "c", "object": "chat.completion", "choices": []}


@pytest.fixture
def target() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def run(base: str = BASE, api: str = "openai", **wanted: str | None) -> object:
    with TargetClient(base, "tok-123456", "T", api=api) as client:
        return preflight(client, api, wanted or {"chat": "acme-chat"})


def test_a_served_model_passes_and_lists_what_the_target_serves(target: respx.MockRouter) -> None:
    target.get("/models").respond(200, json=LISTED)
    probe = target.post("/chat/completions").respond(200, json=OK)
    found = run()
    assert found.listed == ("acme-chat", "acme-embed-small") and found.discovered == ()
    assert probe.calls.last.request.content.startswith(b'{"messages"')  # one token, one message


def test_missing_models_are_discovered_by_kind(target: respx.MockRouter) -> None:
    target.get("/models").respond(200, json=LISTED)
    target.post("/chat/completions").respond(200, json=OK)
    found = run(chat=None, embeddings=None)
    assert found.models == {"chat": "acme-chat", "embeddings": "acme-embed-small"}
    assert found.discovered == ("chat", "embeddings")
    assert discover(("bge-large", "llama"), "embeddings") == "bge-large"
    assert discover(("bge-large",), "chat") is None


@pytest.mark.parametrize(
    ("models", "probe", "message"),
    [
        ((401, {}), (401, {}), "authentication rejected ($T): POST /chat/completions answered 401"),
        ((200, LISTED), (403, {}), "authentication rejected ($T): POST /chat/completions answered 403"),
        ((200, {"data": [{"id": "other"}]}), (404, {}), "model 'acme-chat' is not served: POST"),
        ((404, {}), (404, {}), "not served: POST /chat/completions answered 404"),
        (
            (200, LISTED),
            (501, "<html>"),
            "not an OpenAI-compatible server: POST /chat/completions answered 501",
        ),
        ((200, "<html>"), (200, "<html>"), "not an OpenAI-compatible server"),
    ],
)
def test_untestable_targets_are_refused_with_one_line(
    target: respx.MockRouter, models: tuple, probe: tuple | None, message: str
) -> None:
    status, body = models
    target.get("/models").respond(status, **({"json": body} if isinstance(body, dict) else {"text": body}))
    if probe:
        status, body = probe
        kind = (
            {"json": body}
            if isinstance(body, dict)
            else {"text": body, "headers": {"content-type": "text/html"}}
        )
        target.post("/chat/completions").respond(status, **kind)
    with pytest.raises(TargetRefused) as info:
        run()
    assert message in str(info.value) and "\n" not in str(info.value)
    assert "tok-123456" not in str(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        {"status_code": 503, "json": {"error": {"message": "busy"}}},
        {"status_code": 200, "text": "OK: your request was processed"},  # a fault, from an API host
        {"status_code": 200, "json": OK, "headers": {"content-type": "text/plain"}},
    ],
    ids=["5xx", "not-json", "wrong-media-type"],
)
def test_an_endpoint_fault_is_not_a_preflight_failure(target: respx.MockRouter, answer: dict) -> None:
    # The target is there and speaks the API: the run itself must judge (and fail) what it answers.
    target.get("/models").respond(200, json=LISTED)
    target.post("/chat/completions").respond(**answer)
    assert run().listed


def test_a_token_that_may_query_but_not_list_passes(target: respx.MockRouter) -> None:
    # Databricks scopes tokens: listing models may be refused where querying the endpoint is allowed.
    target.get("/models").respond(403, json={"error_code": "PERMISSION_DENIED", "message": "no"})
    target.post("/chat/completions").respond(200, json=OK)
    assert run().listed is None
    with pytest.raises(TargetRefused, match=r"authentication rejected \(\$T\): GET /models answered 403"):
        run(chat=None)  # nothing to probe instead


def test_nothing_to_probe_without_a_model_or_a_list() -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/models").respond(200, json={"data": []})
        with pytest.raises(TargetRefused, match=r"no model given and none discovered .*give --model"):
            run(chat=None)


@pytest.mark.parametrize(
    ("base", "api", "hint"),
    [
        ("http://target.test", "openai", "try --base-url http://target.test/v1"),
        ("http://target.test/v1", "databricks", "--api databricks takes the workspace host"),
    ],
)
def test_a_likely_wrong_base_url_gets_a_hint(base: str, api: str, hint: str) -> None:
    with respx.mock(base_url=base, assert_all_called=False) as router:
        router.route().respond(404, json={"error": {"message": "no route"}})
        with pytest.raises(TargetRefused) as info:
            run(base, api)
    assert hint in str(info.value)


def test_databricks_probes_the_invocations_route_without_a_model_field() -> None:
    with respx.mock(base_url="http://host.test") as router:
        router.get("/serving-endpoints/models").respond(200, json={"data": []})
        probe = router.post("/serving-endpoints/ep/invocations").respond(200, json=OK)
        run("http://host.test", "databricks", chat="ep")
    assert b'"model"' not in probe.calls.last.request.content


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TargetUnreachable) as info:
        run(f"http://127.0.0.1:{port}/v1")
    assert str(info.value).startswith(f"nothing answers at http://127.0.0.1:{port}/v1: connection error")
