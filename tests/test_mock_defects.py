"""Each defect switch breaks exactly the contract property it names: the property holds on a clean
mock and fails with the defect on. Run in-process (Starlette's TestClient) to stay fast."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import orjson
import pytest
from mock_support import CHAT, EMBED, HELLO, REASONING, WEATHER, data_uri, png
from starlette.testclient import TestClient

from harness.schemas.registry import registry
from mock_server.app import create_app
from mock_server.defects import DEFECTS

TOKEN = "t0ken"
CHAT_PATH = "/v1/chat/completions"
MOVIE = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}


def get(client: TestClient, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})


def post(client: TestClient, body: Any, path: str = CHAT_PATH, **kwargs: Any) -> Any:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)


def chat(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = post(client, {"model": CHAT, "messages": HELLO, **fields})
    assert response.status_code == 200, response.text
    return orjson.loads(response.content)


def stream_events(client: TestClient, **fields: Any) -> list[str]:
    """The data of each SSE event, split on blank lines (so bad framing shows as fewer events)."""
    body = post(client, {"model": CHAT, "messages": HELLO, "stream": True, **fields}).text
    return [e.removeprefix("data: ") for e in body.split("\n\n") if e]


def stream_chunks(client: TestClient, **fields: Any) -> list[dict[str, Any]]:
    return [json.loads(d) for d in stream_events(client, **fields) if d != "[DONE]"]


def embeddings(client: TestClient, **fields: Any) -> dict[str, Any]:
    return post(client, {"model": EMBED, **fields}, "/v1/embeddings").json()


def image_chat(client: TestClient, url: str) -> Any:
    content = [{"type": "text", "text": "Look"}, {"type": "image_url", "image_url": {"url": url}}]
    return post(client, {"model": CHAT, "messages": [{"role": "user", "content": content}]})


def usage_adds_up(c: TestClient) -> bool:
    usage = chat(c)["usage"]
    return usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def one_finish_per_choice(c: TestClient) -> bool:
    finishes = [ch["index"] for p in stream_chunks(c, n=2) for ch in p["choices"] if ch["finish_reason"]]
    return sorted(finishes) == [0, 1]


def tool_name_declared(c: TestClient) -> bool:
    return (
        chat(c, tools=[WEATHER])["choices"][0]["message"]["tool_calls"][0]["function"]["name"]
        == "get_weather"
    )


def tool_arguments_valid(c: TestClient) -> bool:
    arguments = chat(c, tools=[WEATHER])["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    try:
        jsonschema.validate(json.loads(arguments), WEATHER["function"]["parameters"])
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def structured_valid(c: TestClient) -> bool:
    response_format = {"type": "json_schema", "json_schema": {"name": "movie", "schema": MOVIE}}
    content = chat(c, response_format=response_format)["choices"][0]["message"]["content"]
    try:
        jsonschema.validate(json.loads(content), MOVIE)
    except (ValueError, jsonschema.ValidationError):
        return False
    return True


def images_billed(c: TestClient) -> bool:
    with_image = image_chat(c, "https://example.com/cat.png").json()["usage"]["prompt_tokens"]
    text_only = chat(c, messages=[{"role": "user", "content": [{"type": "text", "text": "Look"}]}])
    return with_image > text_only["usage"]["prompt_tokens"]


def base64_length_right(c: TestClient) -> bool:
    data = embeddings(c, input="x", dimensions=16, encoding_format="base64")["data"][0]["embedding"]
    return len(base64.b64decode(data)) == 16 * 4


def rejects_invalid(c: TestClient) -> bool:
    bad = post(c, {"model": CHAT, "messages": HELLO, "temperature": 3})
    not_json = c.post(CHAT_PATH, content=b"{nope", headers={"Authorization": f"Bearer {TOKEN}"})
    statuses = {bad.status_code, not_json.status_code}
    assert statuses <= {200, 400}  # never a 500, defect or not
    if statuses == {200}:  # the defect answers with a generic, still well-formed completion
        assert registry().is_valid("chat_response", bad.json())
    return statuses == {400}


def reasoning_well_formed(c: TestClient) -> bool:
    body = post(c, {"model": REASONING, "messages": HELLO}, "/serving-endpoints/chat/completions").json()
    return (
        registry().is_valid("chat_response", body)
        and "summary" in body["choices"][0]["message"]["content"][0]
    )


def responses_events(c: TestClient) -> list[dict[str, Any]]:
    text = post(c, {"model": CHAT, "input": "Hello", "stream": True}, "/v1/responses").text
    return [json.loads(line.removeprefix("data: ")) for line in text.split("\n") if line.startswith("data: ")]


def responses_numbered(c: TestClient) -> bool:
    numbers = [e["sequence_number"] for e in responses_events(c)]
    return numbers == sorted(set(numbers))


def responses_deltas_agree(c: TestClient) -> bool:
    found = responses_events(c)
    text = "".join(e["delta"] for e in found if e["type"] == "response.output_text.delta")
    return found[-1]["response"]["output"][0]["content"][0]["text"] == text


# defect -> the contract property it breaks (True: the property holds)
PROPERTIES: dict[str, Callable[[TestClient], bool]] = {
    "usage_mismatch": usage_adds_up,
    "wrong_choice_count": lambda c: len(chat(c, n=3)["choices"]) == 3,
    "bad_finish_reason": lambda c: chat(c)["choices"][0]["finish_reason"] == "stop",
    "length_ignored": lambda c: (
        (b := chat(c, max_tokens=3))["usage"]["completion_tokens"] <= 3
        and b["choices"][0]["finish_reason"] == "length"
    ),
    "stop_ignored": lambda c: "zebra" not in chat(c, stop=["zebra"])["choices"][0]["message"]["content"],
    "created_string": lambda c: isinstance(chat(c)["created"], int),
    "wrong_content_type": lambda c: (
        post(c, {"model": CHAT, "messages": HELLO}).headers["content-type"] == "application/json"
    ),
    "schema_violation": lambda c: registry().is_valid("chat_response", chat(c)),
    "stream_no_done": lambda c: stream_events(c)[-1] == "[DONE]",
    "stream_id_changes": lambda c: len({p["id"] for p in stream_chunks(c)}) == 1,
    "stream_no_role": lambda c: stream_chunks(c)[0]["choices"][0]["delta"].get("role") == "assistant",
    "stream_double_finish": one_finish_per_choice,
    "stream_no_usage": lambda c: "usage" in stream_chunks(c, stream_options={"include_usage": True})[-1],
    "stream_bad_framing": lambda c: all(
        e.startswith(("{", "[DONE]")) and "\n" not in e for e in stream_events(c)
    ),
    "invocations_predictions": lambda c: (
        "choices" in post(c, {"messages": HELLO}, f"/serving-endpoints/{CHAT}/invocations").json()
    ),
    "stream_keepalive": lambda c: not any(e.startswith(":") for e in stream_events(c)),
    "tool_undeclared_name": tool_name_declared,
    "tool_bad_arguments": tool_arguments_valid,
    "tool_ignore_required": lambda c: (
        chat(c, tools=[WEATHER], tool_choice="required")["choices"][0]["finish_reason"] == "tool_calls"
    ),
    "structured_invalid": structured_valid,
    "vision_not_billed": images_billed,
    "vision_accept_bad_data_uri": lambda c: (
        image_chat(c, data_uri(b"not an image")).status_code == 400
        and image_chat(c, data_uri(png(2, 2), "image/gif")).status_code == 400
    ),
    "embeddings_reversed": lambda c: (
        [d["index"] for d in embeddings(c, input=["a", "b", "c"])["data"]] == [0, 1, 2]
    ),
    "embeddings_ignore_dimensions": lambda c: (
        len(embeddings(c, input="x", dimensions=8)["data"][0]["embedding"]) == 8
    ),
    "embeddings_bad_base64": base64_length_right,
    "embeddings_nondeterministic": lambda c: (
        (d := embeddings(c, input=["same", "same"])["data"])[0]["embedding"] == d[1]["embedding"]
    ),
    "accept_invalid": rejects_invalid,
    "server_error_on_unicode": lambda c: (
        post(c, {"model": CHAT, "messages": [{"role": "user", "content": "héllo ✓"}]}).status_code == 200
    ),
    "auth_open": lambda c: c.post(CHAT_PATH, json={"model": CHAT, "messages": HELLO}).status_code == 401,
    "error_envelope_bare": lambda c: registry().is_valid("error", post(c, {"model": CHAT}).json()),
    "reasoning_malformed": reasoning_well_formed,
    "stream_after_finish": lambda c: stream_chunks(c)[-1]["choices"][0]["finish_reason"] is not None,
    "unknown_model_400": lambda c: post(c, {"model": "nope", "messages": HELLO}).status_code == 404,
    "logprobs_positive": lambda c: all(
        e["logprob"] <= 0 for e in chat(c, logprobs=True, top_logprobs=1)["choices"][0]["logprobs"]["content"]
    ),
    "responses_sequence_repeats": responses_numbered,
    "models_list_incomplete": lambda c: CHAT in [m["id"] for m in get(c, "/v1/models").json()["data"]],
    "endpoint_record_misnamed": lambda c: get(c, f"/api/2.0/serving-endpoints/{CHAT}").json()["name"] == CHAT,
    "served_model_404": lambda c: (
        post(
            c, {"messages": HELLO}, f"/serving-endpoints/{CHAT}/served-models/{CHAT}-1/invocations"
        ).status_code
        == 200
    ),
    "responses_stream_disagrees": responses_deltas_agree,
    "reasoning_tokens_over": lambda c: (
        (u := post(c, {"model": REASONING, "messages": HELLO}).json()["usage"])["completion_tokens_details"][
            "reasoning_tokens"
        ]
        <= u["completion_tokens"]
    ),
}


def test_every_defect_is_tested() -> None:
    assert PROPERTIES.keys() == DEFECTS.keys()


@pytest.fixture(scope="module")
def clean() -> TestClient:
    return TestClient(create_app(token=TOKEN))


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_defect_breaks_its_property(clean: TestClient, defect: str) -> None:
    holds = PROPERTIES[defect]
    assert holds(clean), f"the clean mock already breaks the property {defect} is about"
    assert not holds(TestClient(create_app(token=TOKEN, defects=[defect]))), f"{defect} changed nothing"


@pytest.mark.parametrize("defect", ["usage_mismatch", "bad_finish_reason", "created_string"])
def test_defect_applies_to_streams_too(defect: str) -> None:
    client = TestClient(create_app(token=TOKEN, defects=[defect]))
    parts = stream_chunks(client, stream_options={"include_usage": True})
    usage = parts[-1]["usage"]
    finishes = [ch["finish_reason"] for p in parts for ch in p["choices"] if ch["finish_reason"]]
    broken = {
        "usage_mismatch": usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"],
        "bad_finish_reason": finishes == ["done"],
        "created_string": all(isinstance(p["created"], str) for p in parts),
    }
    assert broken[defect]


def test_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect 'nope'"):
        create_app(defects=["nope"])
