"""Mock flavours: each route answers as OpenAI, Databricks or vLLM does (errors, reasoning, the request
fields each takes beyond OpenAI's), by route unless `--flavour` forces one everywhere."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from mock_support import CHAT, EMBED, HELLO, REASONING, assert_valid, chunks
from starlette.testclient import TestClient
from typer.testing import CliRunner

from harness.cli import app as cli
from mock_server.app import create_app
from mock_server.flavours import FLAVOURS

CHAT_PATH = "/v1/chat/completions"
DATABRICKS_CHAT = "/serving-endpoints/chat/completions"


def client(flavour: str | None = None) -> TestClient:
    return TestClient(create_app(flavour=flavour))


def chat(c: TestClient, path: str = CHAT_PATH, **fields: Any) -> Any:
    return c.post(path, json={"model": CHAT, "messages": HELLO, **fields})


def streamed(c: TestClient, **fields: Any) -> list[dict[str, Any]]:
    response = chat(c, stream=True, **fields)
    assert response.status_code == 200, response.text
    return chunks(response.content)


def test_by_default_the_route_decides_the_error_body() -> None:
    c = client()
    openai_error = chat(c, temperature=9).json()
    assert_valid("error", openai_error) and openai_error["error"]["param"] == "temperature"
    databricks_error = chat(c, DATABRICKS_CHAT, temperature=9).json()
    assert databricks_error == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": databricks_error["message"],
    }
    assert "temperature" in databricks_error["message"]
    assert c.get("/api/2.0/serving-endpoints/nope").json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert c.get("/serving-endpoints/no/such/route").json() == {
        "error_code": "ENDPOINT_NOT_FOUND",
        "message": "No API found for 'GET /serving-endpoints/no/such/route'",
    }


@pytest.mark.parametrize(("flavour", "schema"), [("databricks", "databricks_error"), ("openai", "error")])
def test_a_forced_flavour_answers_every_route_alike(flavour: str, schema: str) -> None:
    c = client(flavour)
    for path in (CHAT_PATH, DATABRICKS_CHAT):
        assert_valid(schema, chat(c, path, temperature=9).json())


@pytest.mark.parametrize(
    ("path", "flavour", "shows"),
    [
        (CHAT_PATH, None, "hidden"),
        (DATABRICKS_CHAT, None, "blocks"),
        (CHAT_PATH, "vllm", "field"),
        (CHAT_PATH, "databricks", "blocks"),
    ],
)
def test_reasoning_as_each_server_shows_it(path: str, flavour: str | None, shows: str) -> None:
    c = client(flavour)
    body = c.post(path, json={"model": REASONING, "messages": HELLO}).json()
    assert_valid("chat_response", body)
    message, usage = body["choices"][0]["message"], body["usage"]
    details = usage.get("completion_tokens_details")
    if shows == "blocks":
        assert [b["type"] for b in message["content"]] == ["reasoning", "text"] and details is None
    elif shows == "field":
        assert isinstance(message["content"], str) and message["reasoning"] and details is None
    else:
        assert isinstance(message["content"], str) and "reasoning" not in message
        assert 0 < details["reasoning_tokens"] < usage["completion_tokens"]
    parts = c.post(path, json={"model": REASONING, "messages": HELLO, "stream": True}).content
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks(parts) if chunk["choices"]]
    assert any("reasoning" in d for d in deltas) == (shows == "field")
    assert any(isinstance(d.get("content"), list) for d in deltas) == (shows == "blocks")


@pytest.mark.parametrize(
    ("flavour", "path", "fields"),
    [
        ("databricks", DATABRICKS_CHAT, {"extra_params": {"a": "1"}, "usage_context": {"team": "x"}}),
        ("databricks", DATABRICKS_CHAT, {"client_request_id": "req-1", "top_k": 5}),
        ("vllm", CHAT_PATH, {"top_k": -1, "min_p": 0.1, "repetition_penalty": 1.1, "ignore_eos": False}),
    ],
)
def test_each_flavour_takes_its_own_fields(flavour: str, path: str, fields: dict[str, Any]) -> None:
    assert chat(client(flavour), path, **fields).status_code == 200
    refused = chat(client("openai"), path, **fields)
    assert refused.status_code == 400 and refused.json()["error"]["param"] in fields


@pytest.mark.parametrize(
    ("flavour", "path", "field", "value"),
    [
        ("vllm", CHAT_PATH, "min_p", 2),
        ("vllm", CHAT_PATH, "repetition_penalty", 0),
        ("databricks", DATABRICKS_CHAT, "extra_params", {"a": 1}),
        ("databricks", DATABRICKS_CHAT, "top_k", 0),
    ],
)
def test_extension_fields_are_validated_too(flavour: str, path: str, field: str, value: Any) -> None:
    response = chat(client(flavour), path, **{field: value})
    assert response.status_code == 400 and field in response.text


def test_vllm_ignore_eos_runs_to_the_token_cap() -> None:
    c = client("vllm")
    body = chat(c, max_tokens=40, ignore_eos=True).json()
    assert body["usage"]["completion_tokens"] == 40 and body["choices"][0]["finish_reason"] == "length"
    text = c.post(
        "/v1/completions", json={"model": CHAT, "prompt": "Once", "max_tokens": 33, "ignore_eos": True}
    ).json()
    assert text["usage"]["completion_tokens"] == 33


def test_vllm_continuous_usage_stats_count_up_on_every_chunk() -> None:
    options = {"include_usage": True, "continuous_usage_stats": True}
    parts = streamed(client("vllm"), max_tokens=12, stream_options=options)
    counts = [p["usage"]["completion_tokens"] for p in parts]
    assert all("usage" in p for p in parts) and counts == sorted(counts)
    assert counts[-1] == parts[-1]["usage"]["total_tokens"] - parts[-1]["usage"]["prompt_tokens"] == 12


def test_databricks_endpoint_records_and_the_served_models_route() -> None:
    c = client()
    listing = c.get("/api/2.0/serving-endpoints").json()["endpoints"]
    assert {e["name"] for e in listing} == {CHAT, EMBED, REASONING}
    for record in listing:
        assert_valid("serving_endpoint", record)
    record = c.get(f"/api/2.0/serving-endpoints/{EMBED}").json()
    assert record["task"] == "llm/v1/embeddings" and record["state"]["ready"] == "READY"
    served = record["config"]["served_entities"][0]["name"]
    answer = c.post(f"/serving-endpoints/{EMBED}/served-models/{served}/invocations", json={"input": "hi"})
    assert answer.status_code == 200 and answer.headers["served-model-name"] == served
    plain = c.post(f"/serving-endpoints/{CHAT}/invocations", json={"messages": HELLO, "stream": True})
    assert plain.headers["served-model-name"] == f"{CHAT}-1"
    wrong = c.post(f"/serving-endpoints/{EMBED}/served-models/other/invocations", json={"input": "hi"})
    assert wrong.status_code == 404 and wrong.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_one_model_by_id() -> None:
    c = client()
    assert_valid("model", c.get(f"/v1/models/{CHAT}").json())
    missing = c.get("/v1/models/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"


def test_the_served_document_describes_each_flavour() -> None:
    for flavour in FLAVOURS:
        document = orjson.loads(client(flavour).get("/openapi.json").content)
        operation = document["paths"][CHAT_PATH]["post"]
        errors = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
        assert ("error_code" in orjson.dumps(errors).decode()) == (flavour == "databricks")
        body = orjson.dumps(operation["requestBody"]).decode()
        assert ('"min_p"' in body) == ('"continuous_usage_stats"' in body) == (flavour == "vllm")
        assert ('"usage_context"' in body) == (flavour == "databricks")


def test_an_unknown_flavour_is_a_clear_error() -> None:
    result = CliRunner().invoke(cli, ["mock", "--flavour", "tgi"])
    assert result.exit_code == 2
    assert "unknown flavour 'tgi'; known: openai, databricks, vllm" in result.output
    with pytest.raises(ValueError, match="unknown flavour"):
        create_app(flavour="tgi")
