"""The catalogue as a whole: run_checks, every check proven on a broken payload, no crash on any payload."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payloads import (
    RESPONSES_TOOL,
    WEATHER_TOOL,
    calling,
    chat_request,
    chat_response,
    choice,
    client_exchange,
    completions_request,
    completions_response,
    databricks_error,
    embeddings_request,
    embeddings_response,
    endpoint_exchange,
    endpoint_record,
    exchange,
    function_call_item,
    length_replay,
    message_item,
    model_record,
    models_exchange,
    openai_error,
    reasoning_message,
    responses_events,
    responses_request,
    responses_response,
    responses_stream,
    served_exchange,
    sse,
    stop_replay,
    stream_exchange,
    to_chunks,
    tool_call,
    usage,
    with_logprobs,
)

from harness.checks import CATALOGUE, CheckOutcome, run_checks
from harness.generate.invalid import UNKNOWN_MODEL, UNKNOWN_MODEL_NOTE
from harness.wire.exchange import Exchange

WEATHER = tool_call("get_weather", {"city": "Oslo"})
STRUCTURED = {
    "type": "json_schema",
    "json_schema": {"name": "n", "schema": {"type": "object", "required": ["a"]}},
}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
VISION = chat_request(
    messages=[{"role": "user", "content": [{"type": "text", "text": "What is it?"}, IMAGE]}]
)
WITH_USAGE = {"stream_options": {"include_usage": True}}


def valid_exchanges() -> dict[str, Exchange]:
    """One valid exchange per kind of case a contract run produces."""
    return {
        "chat": exchange("chat", chat_request(max_tokens=50, stop="END"), chat_response()),
        "chat logprobs": exchange(
            "chat",
            chat_request(logprobs=True, top_logprobs=2),
            with_logprobs(chat_response(tokens=usage(12, 3))),
        ),
        "chat n=2": exchange(
            "chat", chat_request(n=2), chat_response(choice(0), choice(1), tokens=usage(12, 10))
        ),
        "tools": exchange(
            "tools",
            chat_request(tools=[WEATHER_TOOL], tool_choice="required"),
            chat_response(calling(WEATHER)),
        ),
        "json object": exchange(
            "structured",
            chat_request(response_format={"type": "json_object"}),
            chat_response(choice(0, {"role": "assistant", "content": '{"b": [1]}'})),
        ),
        "structured": exchange(
            "structured",
            chat_request(response_format=STRUCTURED),
            chat_response(choice(0, {"role": "assistant", "content": '{"a": 1}'})),
        ),
        "vision": exchange("vision", VISION, chat_response(tokens=usage(90, 5))),
        "reasoning": exchange("reasoning", chat_request(), chat_response(choice(0, reasoning_message()))),
        "reasoning hidden": exchange(
            "reasoning",
            chat_request(),
            chat_response(tokens={**usage(12, 5), "completion_tokens_details": {"reasoning_tokens": 3}}),
        ),
        "completions": exchange("completions", completions_request(n=2), completions_response(*_texts(2))),
        "embeddings": exchange(
            "embeddings",
            embeddings_request(input=["a", "b", "a"]),
            embeddings_response([[0.1], [0.2], [0.1]]),
        ),
        "embeddings base64": exchange(
            "embeddings",
            embeddings_request(encoding_format="base64", dimensions=2),
            embeddings_response([[0.1, 0.2], [0.3, 0.4]], encoded=True),
        ),
        "stream": stream_exchange(
            "stream", chat_request(**WITH_USAGE), to_chunks(chat_response(), include_usage=True)
        ),
        "stream tools": stream_exchange(
            "tools",
            chat_request(tools=[WEATHER_TOOL], **WITH_USAGE),
            to_chunks(chat_response(calling(WEATHER)), True),
        ),
        "stream reasoning": stream_exchange(
            "reasoning", chat_request(), to_chunks(chat_response(choice(0, reasoning_message())))
        ),
        "responses": exchange("responses", responses_request(), responses_response()),
        "responses tools": exchange(
            "responses",
            responses_request(tools=[RESPONSES_TOOL], tool_choice="required"),
            responses_response(function_call_item()),
        ),
        "responses structured": exchange(
            "responses",
            responses_request(text={"format": {"type": "json_object"}}),
            responses_response(message_item('{"a": 1}')),
        ),
        "responses stream": responses_stream(
            responses_request(), responses_events(responses_response(function_call_item(), message_item()))
        ),
        "invalid": exchange(
            "errors", chat_request(temperature=9), openai_error(), status=400, expect="client_error"
        ),
        "invalid databricks": exchange(
            "errors",
            chat_request(n=-1),
            databricks_error(),
            status=400,
            expect="client_error",
            api="databricks",
        ),
        "unknown model": exchange(
            "errors",
            chat_request(model=UNKNOWN_MODEL),
            openai_error(),
            status=404,
            expect="client_error",
            note=UNKNOWN_MODEL_NOTE,
        ),
        "stop replay": stop_replay("The lamp turns slowly over the "),
        "length replay": length_replay("The lamp turns slowly"),
        "models list": models_exchange({"object": "list", "data": [model_record()]}),
        "model record": exchange("model", {}, model_record(), get="/models/mock-chat"),
        "endpoint record": endpoint_exchange(endpoint_record()),
        "served model": served_exchange(chat_response(), headers={"served-model-name": "mock-chat-1"}),
        **{
            f"client {check}": client_exchange(check, read="Hello there, friend.")
            for check in (
                "clients.openai",
                "clients.langchain_openai",
                "clients.mlflow",
                "clients.databricks_sdk",
            )
        },
        "basic auth": exchange("auth", chat_request(), chat_response(), api="databricks", note="basic token"),
        "unauthorized": exchange(
            "auth", chat_request(), openai_error("no", None), status=401, expect="unauthorized"
        ),
    }


def _texts(n: int) -> list[dict]:
    return [{"index": i, "text": " a cat", "logprobs": None, "finish_reason": "stop"} for i in range(n)]


@pytest.mark.parametrize("kind", list(valid_exchanges()))
def test_every_applicable_check_passes_a_valid_exchange(kind: str) -> None:
    outcomes = run_checks(valid_exchanges()[kind])
    assert outcomes, "some check should apply"
    assert [o for o in outcomes if o.status != "passed"] == []


def test_run_checks_reports_only_the_checks_that_apply() -> None:
    names = {o.check for o in run_checks(valid_exchanges()["chat"])}
    assert {"transport.status", "schema.response", "chat.usage", "chat.stop"} <= names
    assert not any(n.startswith(("stream.", "negative.", "auth.", "embeddings.", "tools.")) for n in names)
    names = {o.check for o in run_checks(valid_exchanges()["unauthorized"])}
    assert names == {"robustness.no_server_error", "transport.content_type", "transport.body_parses"} | {
        "auth.status",
        "auth.envelope",
    }


def test_run_checks_reports_a_failure_with_message_and_path() -> None:
    ex = valid_exchanges()["chat"]
    ex.response.json["usage"]["total_tokens"] = 99
    failed = [o for o in run_checks(ex) if o.status == "failed"]
    assert failed == [
        CheckOutcome(
            "chat.usage",
            "failed",
            "expected usage.total_tokens = prompt_tokens + completion_tokens = 12 + 5 = 17, got 99",
            "$.usage.total_tokens",
        )
    ]


def test_every_check_passes_some_valid_exchange() -> None:
    passed = {o.check for ex in valid_exchanges().values() for o in run_checks(ex) if o.status == "passed"}
    assert sorted(set(CATALOGUE) - passed) == []


def test_every_check_has_a_test_that_breaks_it() -> None:
    broken: set[str] = set()
    for path in Path(__file__).parent.glob("test_checks_*.py"):
        source = path.read_text()
        broken |= set(re.findall(r'fails\(\s*"([a-z_]+\.[a-z_]+)"', source))
        # A module about one check names it once, NAME = "...", and calls fails(NAME, ...).
        named = re.search(r'^NAME = "([a-z_]+\.[a-z_]+)"', source, re.M)
        if named and "fails(NAME," in source:
            broken.add(named.group(1))
    assert sorted(set(CATALOGUE) - broken) == []


# -- no crash on any payload ----------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(-1, 1)
    | st.sampled_from(["", "x", "[DONE]", "stop"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["index", "text", "a"]), inner)
    ),
    max_leaves=6,
)


def _slots(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) whose value could be replaced."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.append((node, key))
        _slots(value, found)
    return found


def _mutated(doc: Any, data: st.DataObject) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        slots = _slots(doc, [])
        if not slots:
            break
        container, key = data.draw(st.sampled_from(slots))
        if isinstance(container, dict) and data.draw(st.booleans()):
            del container[key]
        else:
            container[key] = data.draw(JSON)
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(kind=st.sampled_from(sorted(valid_exchanges())), data=st.data())
def test_no_check_crashes_on_a_mangled_response(kind: str, data: st.DataObject) -> None:
    """Servers send anything: every check must answer passed or failed, never raise."""
    ex = valid_exchanges()[kind]
    if ex.response.events is not None:
        chunks = [orjson.loads(e.data) for e in ex.response.events if e.data != "[DONE]"]
        ex = stream_exchange(ex.family, ex.request.body, sse(_mutated(chunks, data)))
    else:
        body = _mutated(ex.response.json, data)
        get = ex.request.path if ex.request.method == "GET" else None
        ex = exchange(
            ex.family,
            ex.request.body,
            body,
            status=ex.response.status,
            expect=ex.expect,
            api=ex.api,
            context=ex.context,
            get=get,
        )
    for outcome in run_checks(ex):
        assert outcome.status in ("passed", "failed")
