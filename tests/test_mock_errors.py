"""Bad input: every malformed request gets its status and a well-formed OpenAI error envelope naming
the offending field; and no input, however strange, gets a 500 (fuzzed)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_support import CHAT, EMBED, HELLO, WEATHER, assert_valid, check_response, data_uri, png

from harness.generate.engine import values
from harness.schemas.registry import registry
from mock_server.profile import Profile
from mock_server.server import running_mock

CHAT_PATH = "/v1/chat/completions"


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": CHAT, "messages": HELLO, **fields}


def image_message(url: str) -> dict[str, Any]:
    return chat(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])


IMAGE_URL_PARAM = "messages[0].content[0].image_url.url"

# (id, method, path, body (dict: JSON; bytes: raw), status, param)
BAD_REQUESTS = [
    ("not-json", "POST", CHAT_PATH, b"{not json", 400, None),
    ("empty-body", "POST", CHAT_PATH, b"", 400, None),
    ("body-is-a-list", "POST", CHAT_PATH, [1, 2], 400, None),
    ("missing-messages", "POST", CHAT_PATH, {"model": CHAT}, 400, "messages"),
    ("messages-not-a-list", "POST", CHAT_PATH, chat(messages="hi"), 400, "messages"),
    ("empty-messages", "POST", CHAT_PATH, chat(messages=[]), 400, "messages"),
    (
        "unknown-role",
        "POST",
        CHAT_PATH,
        chat(messages=[{"role": "wizard", "content": "x"}]),
        400,
        "messages[0].role",
    ),
    (
        "content-wrong-type",
        "POST",
        CHAT_PATH,
        chat(messages=[{"role": "user", "content": 5}]),
        400,
        "messages[0].content",
    ),
    ("temperature-3", "POST", CHAT_PATH, chat(temperature=3), 400, "temperature"),
    ("top-p-negative", "POST", CHAT_PATH, chat(top_p=-1), 400, "top_p"),
    ("n-zero", "POST", CHAT_PATH, chat(n=0), 400, "n"),
    ("max-tokens-string", "POST", CHAT_PATH, chat(max_tokens="ten"), 400, "max_tokens"),
    ("unknown-field", "POST", CHAT_PATH, chat(bogus_field=1), 400, "bogus_field"),
    (
        "tool-without-function",
        "POST",
        CHAT_PATH,
        chat(tools=[{"type": "function"}]),
        400,
        "tools[0].function",
    ),
    (
        "tool-bad-name",
        "POST",
        CHAT_PATH,
        chat(tools=[{"type": "function", "function": {"name": "no spaces allowed"}}]),
        400,
        "tools[0].function.name",
    ),
    (
        "tool-parameters-not-a-schema",
        "POST",
        CHAT_PATH,
        chat(tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "nonsense"}}}]),
        400,
        "tools[0].function.parameters",
    ),
    (
        "tool-parameters-unsatisfiable",
        "POST",
        CHAT_PATH,
        chat(
            tools=[
                {
                    "type": "function",
                    "function": {"name": "f", "parameters": {"type": "string", "pattern": "^\\d{3}$"}},
                }
            ]
        ),
        400,
        "tools[0].function.parameters",
    ),
    (
        "tool-choice-undeclared",
        "POST",
        CHAT_PATH,
        chat(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "launch"}}),
        400,
        "tool_choice",
    ),
    ("tool-choice-required-no-tools", "POST", CHAT_PATH, chat(tool_choice="required"), 400, "tool_choice"),
    ("tool-choice-bogus", "POST", CHAT_PATH, chat(tools=[WEATHER], tool_choice="always"), 400, "tool_choice"),
    (
        "response-format-unknown",
        "POST",
        CHAT_PATH,
        chat(response_format={"type": "xml"}),
        400,
        "response_format.type",
    ),
    (
        "response-format-no-name",
        "POST",
        CHAT_PATH,
        chat(response_format={"type": "json_schema", "json_schema": {"schema": {}}}),
        400,
        "response_format.json_schema.name",
    ),
    (
        "response-format-unsatisfiable",
        "POST",
        CHAT_PATH,
        chat(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"not": {}}}}),
        400,
        "response_format.json_schema.schema",
    ),
    (
        "data-uri-bad-base64",
        "POST",
        CHAT_PATH,
        image_message("data:image/png;base64,iVBORw0KG"),
        400,
        IMAGE_URL_PARAM,
    ),
    (
        "data-uri-not-an-image",
        "POST",
        CHAT_PATH,
        image_message(data_uri(b"just some text, not pixels")),
        400,
        IMAGE_URL_PARAM,
    ),
    (
        "data-uri-wrong-media-type",
        "POST",
        CHAT_PATH,
        image_message(data_uri(png(4, 4), "image/jpeg")),
        400,
        IMAGE_URL_PARAM,
    ),
    (
        "data-uri-not-base64",
        "POST",
        CHAT_PATH,
        image_message("data:image/png,rawbytes"),
        400,
        IMAGE_URL_PARAM,
    ),
    (
        "image-url-not-a-url",
        "POST",
        CHAT_PATH,
        image_message("ftp://example.com/x.png"),
        400,
        IMAGE_URL_PARAM,
    ),
    ("chat-on-embedding-model", "POST", CHAT_PATH, chat(model=EMBED), 400, "model"),
    ("unknown-model", "POST", CHAT_PATH, chat(model="gpt-nonexistent"), 404, "model"),
    ("embeddings-empty-string", "POST", "/v1/embeddings", {"model": EMBED, "input": ""}, 400, "input"),
    ("embeddings-empty-list", "POST", "/v1/embeddings", {"model": EMBED, "input": []}, 400, "input"),
    (
        "embeddings-too-many-dimensions",
        "POST",
        "/v1/embeddings",
        {"model": EMBED, "input": "x", "dimensions": 99999},
        400,
        "dimensions",
    ),
    (
        "embeddings-bad-format",
        "POST",
        "/v1/embeddings",
        {"model": EMBED, "input": "x", "encoding_format": "hex"},
        400,
        "encoding_format",
    ),
    ("embeddings-on-chat-model", "POST", "/v1/embeddings", {"model": CHAT, "input": "x"}, 400, "model"),
    (
        "completions-prompt-wrong-type",
        "POST",
        "/v1/completions",
        {"model": CHAT, "prompt": {"a": 1}},
        400,
        "prompt",
    ),
    (
        "invocations-unknown-endpoint",
        "POST",
        "/serving-endpoints/nope/invocations",
        {"messages": HELLO},
        404,
        None,
    ),
    (
        "invocations-no-known-shape",
        "POST",
        f"/serving-endpoints/{CHAT}/invocations",
        {"query": "hi"},
        400,
        "query",
    ),
    (
        "invocations-chat-on-embedder",
        "POST",
        f"/serving-endpoints/{EMBED}/invocations",
        {"messages": HELLO},
        400,
        None,
    ),
    ("wrong-route", "POST", "/v1/chat/complete", chat(), 404, None),
    ("wrong-method", "GET", CHAT_PATH, None, 405, None),
    ("wrong-method-models", "DELETE", "/v1/models", None, 405, None),
]


@pytest.fixture(scope="module")
def client(mock_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock_url, timeout=10) as http:
        yield http


def send(http: httpx.Client, method: str, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    # stdlib json: it writes integers of any size, which the mock must cope with too
    content = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    return http.request(method, path, content=content, **kwargs)


DATABRICKS_CODES = {400: "INVALID_PARAMETER_VALUE", 404: "RESOURCE_DOES_NOT_EXIST"}


def assert_error(response: httpx.Response, status: int, param: str | None = None) -> dict[str, Any]:
    """The OpenAI error of `response`; on a Databricks route, Databricks' error body (which names no
    param: the message does)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    if response.request.url.path.startswith("/serving-endpoints"):
        assert_valid("databricks_error", body)
        assert set(body) == {"error_code", "message"}
        assert body["error_code"] == DATABRICKS_CODES[status] and body["message"]
        assert param is None or param in body["message"]
        return {"type": "invalid_request_error", **body}
    assert_valid("error", body)
    assert body["error"]["param"] == param
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param"),
    [r[1:] for r in BAD_REQUESTS],
    ids=[r[0] for r in BAD_REQUESTS],
)
def test_bad_request(
    client: httpx.Client, method: str, path: str, body: Any, status: int, param: str | None
) -> None:
    error = assert_error(send(client, method, path, body), status, param)
    assert error["type"] == "invalid_request_error"


def test_method_not_allowed_says_which_are(client: httpx.Client) -> None:
    assert "POST" in client.get(CHAT_PATH).headers["allow"]


def test_validation_message_names_the_field(client: httpx.Client) -> None:
    error = assert_error(send(client, "POST", CHAT_PATH, chat(temperature=3)), 400, "temperature")
    assert "temperature" in error["message"]


@pytest.fixture(scope="module")
def token_url() -> Iterator[str]:
    with running_mock(token="s3cret") as url:
        yield url


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic s3cret"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer s3cretX"},
    ],
    ids=["missing", "wrong", "wrong-scheme", "empty", "longer"],
)
def test_token_required(token_url: str, headers: dict[str, str]) -> None:
    response = httpx.post(f"{token_url}{CHAT_PATH}", json=chat(), headers=headers)
    assert assert_error(response, 401)["code"] == "invalid_api_key"
    assert "s3cret" not in response.text


def test_token_accepted_and_health_is_open(token_url: str) -> None:
    ok = httpx.post(f"{token_url}{CHAT_PATH}", json=chat(), headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert httpx.get(f"{token_url}/health").status_code == 200


def test_body_too_large() -> None:
    with running_mock(Profile(max_body_bytes=2048)) as url:
        big = chat(messages=[{"role": "user", "content": "x" * 4096}])
        assert_error(httpx.post(f"{url}{CHAT_PATH}", json=big), 413)

        def chunked() -> Iterator[bytes]:  # no Content-Length: the limit applies to the streamed body
            yield orjson.dumps(big)

        assert_error(httpx.post(f"{url}{CHAT_PATH}", content=chunked()), 413)
        assert httpx.post(f"{url}{CHAT_PATH}", json=chat()).status_code == 200


def test_rate_limit() -> None:
    with running_mock(Profile(rate_limit=1.0)) as url, httpx.Client(base_url=url) as http:
        assert http.post(CHAT_PATH, json=chat()).status_code == 200
        limited = http.post(CHAT_PATH, json=chat())
        assert assert_error(limited, 429)["type"] == "rate_limit_error"
        assert int(limited.headers["retry-after"]) >= 1


# --- fuzzing: whatever comes in, never a 500 ---------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "messages",
        "model",
        "n",
        "stop",
        "max_tokens",
        "tools",
        "tool_choice",
        "response_format",
        "stream",
        "seed",
    ]
)


def assert_no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    check_response(response.request, response)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=JSON,
    path=st.sampled_from(
        [CHAT_PATH, "/v1/completions", "/v1/embeddings", f"/serving-endpoints/{CHAT}/invocations"]
    ),
)
def test_fuzz_any_json(client: httpx.Client, body: Any, path: str) -> None:
    assert_no_server_error(send(client, "POST", path, body))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=FIELDS, value=JSON)
def test_fuzz_one_bad_field(client: httpx.Client, field: str, value: Any) -> None:
    assert_no_server_error(send(client, "POST", CHAT_PATH, {**chat(), field: value}))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=64))
def test_fuzz_raw_bytes(client: httpx.Client, raw: bytes) -> None:
    assert_no_server_error(send(client, "POST", CHAT_PATH, raw))


@pytest.mark.parametrize(
    ("schema", "path", "model"),
    [
        ("chat_request", CHAT_PATH, CHAT),
        ("completions_request", "/v1/completions", CHAT),
        ("embeddings_request", "/v1/embeddings", EMBED),
    ],
)
def test_fuzz_schema_valid_requests_get_answers(
    client: httpx.Client, schema: str, path: str, model: str
) -> None:
    """Requests valid against our own request schemas: 200 with a schema-valid answer, or a 400 for the
    few rules a schema cannot state (undeclared tool_choice, unsupported tool schema, bad image bytes)."""

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=values(registry().resolved(schema)))
    def run(body: dict[str, Any]) -> None:
        body = {**body, "model": model}
        body.pop("stream", None)  # the schema check below wants one JSON body
        response = send(client, "POST", path, body)
        assert_no_server_error(response)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert response.json()["error"]["param"], response.text

    run()


def test_schema_valid_base64_that_decodes_to_nothing(client: httpx.Client) -> None:
    """A URL the schema accepts but whose bytes are not an image is the client's 400, not a crash."""
    url = "data:image/gif;base64," + base64.b64encode(b"GIF8").decode()
    assert_error(send(client, "POST", CHAT_PATH, image_message(url)), 400, IMAGE_URL_PARAM)
