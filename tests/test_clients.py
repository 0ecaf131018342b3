"""The mock through the clients teams really use, unchanged: databricks-sdk, MLflow Deployments,
langchain-openai, LiteLLM, the openai SDK, and curl as Databricks' docs show it.

Each test is a thing one of those clients failed at against the mock before the mock answered as
Databricks really does (its error bodies, Basic auth, endpoint records, the served-models route,
the fields its SDK sends) and as OpenAI does on /v1 (reasoning hidden, counted in usage).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import openai
import pytest

from mock_server.server import running_mock

TOKEN = "dapi-client-matrix-0123456789"
CHAT, EMBED, REASONING = "mock-chat", "mock-embed", "mock-reasoning"
HELLO = [{"role": "user", "content": "Hello"}]
# LiteLLM fetches its model price list from GitHub at import unless told to use its bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(scope="module")
def root() -> Iterator[str]:
    with running_mock(token=TOKEN) as url:
        yield url


@pytest.fixture
def databricks_env(root: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment MLflow and databricks-sdk read their workspace from, and nothing else."""
    for name in list(os.environ):
        if name.startswith("DATABRICKS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_HOST", root)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", "/nonexistent")  # no ~/.databrickscfg profile
    return root


# --- databricks-sdk ---------------------------------------------------------------------------------


def workspace(root: str, token: str = TOKEN):
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=root, token=token, auth_type="pat")


def test_databricks_sdk_queries_chat_with_the_fields_it_sends(root: str) -> None:
    from databricks.sdk.service.serving import ChatMessage, ChatMessageRole

    answer = workspace(root).serving_endpoints.query(
        name=CHAT,
        messages=[ChatMessage(role=ChatMessageRole.USER, content="Hello")],
        max_tokens=20,
        extra_params={"top_k": "5"},
        usage_context={"team": "servecheck"},
        client_request_id="req-1",
    )
    assert answer.choices[0].message.content and answer.usage.completion_tokens <= 20


def test_databricks_sdk_queries_embeddings(root: str) -> None:
    answer = workspace(root).serving_endpoints.query(name=EMBED, input=["one", "two"])
    assert [d.index for d in answer.data] == [0, 1] and answer.data[0].embedding


def test_databricks_sdk_gets_and_lists_endpoints(root: str) -> None:
    endpoints = workspace(root).serving_endpoints
    record = endpoints.get(CHAT)
    assert record.name == CHAT and record.state.ready.value == "READY"
    assert record.config.served_entities[0].name == f"{CHAT}-1"
    assert {e.name for e in endpoints.list()} == {CHAT, EMBED, REASONING}


def test_databricks_sdk_raises_its_own_errors(root: str) -> None:
    from databricks.sdk.errors import InvalidParameterValue, ResourceDoesNotExist, Unauthenticated

    with pytest.raises(ResourceDoesNotExist) as missing:
        workspace(root).serving_endpoints.get("nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST" and "nope" in str(missing.value)
    with pytest.raises(InvalidParameterValue) as invalid:
        workspace(root).serving_endpoints.query(name=CHAT, prompt="Hi", temperature=9)
    assert "temperature" in str(invalid.value)
    with pytest.raises(Unauthenticated):
        workspace(root, token="dapi-wrong").serving_endpoints.get(CHAT)


# --- MLflow Deployments -----------------------------------------------------------------------------


def deployments():
    from mlflow.deployments import get_deploy_client

    return get_deploy_client("databricks")


def test_mlflow_predicts_and_streams(databricks_env: str) -> None:
    client = deployments()
    answer = client.predict(endpoint=CHAT, inputs={"messages": HELLO, "max_tokens": 20})
    assert answer["choices"][0]["message"]["content"]
    chunks = list(client.predict_stream(endpoint=CHAT, inputs={"messages": HELLO, "max_tokens": 20}))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == answer["choices"][0]["message"]["content"]
    vectors = client.predict(endpoint=EMBED, inputs={"input": ["one"]})
    assert vectors["data"][0]["embedding"]


def test_mlflow_gets_and_lists_endpoints(databricks_env: str) -> None:
    client = deployments()
    assert client.get_endpoint(CHAT)["state"]["ready"] == "READY"
    assert {e["name"] for e in client.list_endpoints()} == {CHAT, EMBED, REASONING}


def test_mlflow_reports_the_status_databricks_answered(databricks_env: str) -> None:
    from requests import HTTPError

    with pytest.raises(HTTPError) as missing:
        deployments().predict(endpoint="nope", inputs={"messages": HELLO})
    assert str(missing.value).startswith("404 Client Error: The serving endpoint 'nope' does not exist.")
    with pytest.raises(HTTPError) as invalid:
        deployments().predict(endpoint=CHAT, inputs={"messages": HELLO, "temperature": 9})
    assert str(invalid.value).startswith("400 Client Error: Invalid request: temperature")


# --- the openai SDK, LangChain and LiteLLM -----------------------------------------------------------


def test_openai_sdk_retrieves_a_model_and_gets_a_clean_404(root: str) -> None:
    client = openai.OpenAI(api_key=TOKEN, base_url=f"{root}/v1", max_retries=0)
    assert client.models.retrieve(CHAT).id == CHAT
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


def test_openai_sdk_on_databricks_reads_the_databricks_error(root: str) -> None:
    client = openai.OpenAI(api_key=TOKEN, base_url=f"{root}/serving-endpoints", max_retries=0)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=HELLO)
    assert missing.value.body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("prefix", ["/v1", "/serving-endpoints"])
def test_langchain_invokes_and_streams(root: str, prefix: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model=CHAT, base_url=root + prefix, api_key=TOKEN, max_retries=0, max_tokens=20)
    answer = chat.invoke("Hello")
    assert answer.content and answer.usage_metadata["output_tokens"] <= 20
    assert "".join(chunk.content for chunk in chat.stream("Hello")) == answer.content


def test_litellm_reads_a_reasoning_model_on_v1(root: str) -> None:
    import litellm

    common = {"model": f"openai/{REASONING}", "api_base": f"{root}/v1", "api_key": TOKEN, "messages": HELLO}
    answer = litellm.completion(**common, max_tokens=40)
    assert isinstance(answer.choices[0].message.content, str) and answer.choices[0].message.content
    assert answer.usage.completion_tokens_details.reasoning_tokens > 0
    streamed = litellm.completion(**common, max_tokens=40, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    assert text == answer.choices[0].message.content


def test_litellm_reads_vllm_reasoning() -> None:
    """vLLM's `reasoning` field, as LiteLLM's hosted_vllm provider maps it to reasoning_content."""
    import litellm

    with running_mock(token=TOKEN, flavour="vllm") as url:
        answer = litellm.completion(
            model=f"hosted_vllm/{REASONING}", api_base=f"{url}/v1", api_key=TOKEN, messages=HELLO, top_k=5
        )
    message = answer.choices[0].message
    assert message.content and message.reasoning_content


# --- curl, as Databricks' docs show it ------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_with_basic_auth_as_the_databricks_docs_show(root: str) -> None:
    url = f"{root}/serving-endpoints/{CHAT}/invocations"
    body = json.dumps({"messages": HELLO, "max_tokens": 10})
    env = {"PATH": os.environ["PATH"], "DATABRICKS_TOKEN": TOKEN}
    command = (
        f"curl -s -u token:$DATABRICKS_TOKEN -X POST -H \"Content-Type: application/json\" -d '{body}' {url}"
    )
    out = subprocess.run(["bash", "-c", command], env=env, capture_output=True, check=True, timeout=30).stdout
    assert json.loads(out)["choices"][0]["message"]["content"]


def test_basic_auth_is_a_databricks_form_only(root: str) -> None:
    basic = "Basic " + base64.b64encode(f"token:{TOKEN}".encode()).decode()
    body = {"model": CHAT, "messages": HELLO}
    assert httpx.post(
        f"{root}/serving-endpoints/chat/completions", json=body, headers={"Authorization": basic}
    ).is_success
    refused = httpx.post(f"{root}/v1/chat/completions", json=body, headers={"Authorization": basic})
    assert refused.status_code == 401 and "error" in refused.json()
    wrong = "Basic " + base64.b64encode(b"token:dapi-wrong").decode()
    refused = httpx.post(
        f"{root}/serving-endpoints/chat/completions", json=body, headers={"Authorization": wrong}
    )
    assert refused.status_code == 401 and refused.json()["error_code"] == "UNAUTHENTICATED"
