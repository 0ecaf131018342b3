"""Helpers for the mock server tests: a tiny real PNG, SSE splitting, and a recorder that checks every
response the mock sends against the project's response schemas."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from harness import images
from harness.schemas.registry import registry

CHAT = "mock-chat"
REASONING = "mock-reasoning"
EMBED = "mock-embed"
HELLO = [{"role": "user", "content": "Hello there"}]

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "when": {"type": "string", "format": "date"},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
    },
}


def png(width: int, height: int) -> bytes:
    """A real, decodable RGB PNG of one grey colour."""
    return images.png_bytes(width, height, b"\x80\x80\x80" * width * height)


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return images.data_uri(mime, data)


def sse_data(body: bytes) -> list[str]:
    """The data of each event of a well-framed SSE body (events separated by a blank line)."""
    events = body.decode().split("\n\n")
    assert events[-1] == "", "the stream must end with a blank line"
    out = []
    for event in events[:-1]:
        assert event.startswith("data: "), f"not a data event: {event[:80]!r}"
        out.append(event[len("data: ") :])
    return out


def chunks(body: bytes) -> list[dict[str, Any]]:
    """The JSON chunks of a stream that ends with [DONE] (which is checked and dropped)."""
    data = sse_data(body)
    assert data[-1] == "[DONE]"
    return [orjson.loads(d) for d in data[:-1]]


def assert_valid(schema: str, instance: Any) -> None:
    errors = registry().errors(schema, instance)
    assert not errors, f"{schema}: " + "; ".join(map(str, errors[:5]))


def response_schema(request: httpx.Request, response: httpx.Response) -> str:
    """Which schema a response of the mock must satisfy (per SSE event for streams)."""
    path = request.url.path
    if response.status_code >= 400:  # the default flavour's: Databricks on its routes
        return "databricks_error" if path.startswith(("/serving-endpoints", "/api/2.0")) else "error"
    if path.endswith("/models"):
        return "models_list"
    if path.endswith("/responses"):
        sse = response.headers["content-type"].startswith("text/event-stream")
        return "responses_event" if sse else "responses_response"
    if path.endswith("/invocations"):
        body = orjson.loads(request.content)
        path = (
            "/chat/completions"
            if "messages" in body
            else "/embeddings"
            if "input" in body
            else "/completions"
        )
    if path.endswith("/chat/completions"):
        return (
            "chat_chunk"
            if response.headers["content-type"].startswith("text/event-stream")
            else "chat_response"
        )
    return "completions_response" if path.endswith("/completions") else "embeddings_response"


def check_response(request: httpx.Request, response: httpx.Response) -> None:
    """Assert a mock response is well-formed: JSON or SSE as appropriate, valid against its schema."""
    schema = response_schema(request, response)
    content_type = response.headers["content-type"]
    if content_type.startswith("text/event-stream"):
        for chunk in chunks(response.content):
            assert_valid(schema, chunk)
        return
    assert content_type == "application/json", content_type
    assert_valid(schema, orjson.loads(response.content))


class Recorder:
    """An httpx response hook that keeps every response, to check them all against the schemas."""

    def __init__(self) -> None:
        self.seen: list[httpx.Response] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()  # the SDK still reads a stream from the buffered body
        self.seen.append(response)

    def check_all(self) -> int:
        for response in self.seen:
            check_response(response.request, response)
        return len(self.seen)


# Defects of the planned answer, which the Responses API renders too, and its check that catches each.
CAUGHT_IN_RESPONSES = {
    "usage_mismatch": "responses.usage",
    "length_ignored": "responses.status",
    "tool_bad_arguments": "responses.function_call",
    "tool_undeclared_name": "responses.function_call",
    "tool_ignore_required": "responses.function_call",
    "structured_invalid": "responses.structured",
}

# The flavour a defect shows in, where the default /v1 one (OpenAI's) hides it: reasoning blocks.
DEFECT_FLAVOUR = {"reasoning_malformed": "databricks"}

# The adaptive family's checks (harness/contract/adaptive.py), the api whose probes show each defect, and
# the defect; the last three are seen by no other family.
CAUGHT_ADAPTIVELY = {
    "stop_ignored": ("openai", "adaptive.stop"),
    "length_ignored": ("openai", "adaptive.length"),
    "models_list_incomplete": ("openai", "models.listed"),
    "endpoint_record_misnamed": ("databricks", "databricks.endpoint"),
    "served_model_404": ("databricks", "databricks.served_model"),
}
ONLY_ADAPTIVELY = ("models_list_incomplete", "endpoint_record_misnamed", "served_model_404")

# The clients family (harness/contract/clients.py): the api whose clients show each defect, and the
# clients.* check that fails. The first two no check of the /v1 wire sees: MLflow rejects a keep-alive
# comment (valid SSE), databricks-sdk a chat answer wrapped as a custom model's.
CAUGHT_THROUGH_CLIENTS = {
    "stream_keepalive": ("databricks", "clients.mlflow"),
    "invocations_predictions": ("databricks", "clients.databricks_sdk"),
    "structured_invalid": ("openai", "clients.openai"),
    "stream_bad_framing": ("openai", "clients.langchain_openai"),
}
ONLY_THROUGH_CLIENTS = ("stream_keepalive", "invocations_predictions")

# The check each defect breaks (others may fail too: a defect can have knock-on effects).
CAUGHT_BY = {
    "usage_mismatch": "chat.usage",
    "wrong_choice_count": "chat.choices",
    "bad_finish_reason": "schema.response",
    "length_ignored": "chat.length",
    "stop_ignored": "chat.stop",
    "created_string": "schema.response",
    "wrong_content_type": "transport.content_type",
    "schema_violation": "schema.response",
    "stream_no_done": "stream.done",
    "stream_id_changes": "stream.identity",
    "stream_no_role": "stream.role",
    "stream_double_finish": "stream.finish_reason",
    "stream_no_usage": "stream.usage",
    "stream_bad_framing": "stream.framing",
    "tool_undeclared_name": "tools.names",
    "tool_bad_arguments": "tools.arguments",
    "tool_ignore_required": "tools.choice",
    "structured_invalid": "structured.json_schema",
    "vision_not_billed": "vision.billed",
    "vision_accept_bad_data_uri": "negative.status",
    "embeddings_reversed": "embeddings.count",
    "embeddings_ignore_dimensions": "embeddings.dimensions",
    "embeddings_bad_base64": "embeddings.encoding",
    "embeddings_nondeterministic": "embeddings.repeat",
    "accept_invalid": "negative.status",
    "server_error_on_unicode": "robustness.no_server_error",
    "auth_open": "auth.status",
    "error_envelope_bare": "negative.envelope",
    "reasoning_malformed": "reasoning.content",
    "reasoning_tokens_over": "reasoning.tokens",
    "logprobs_positive": "chat.logprobs",
    "unknown_model_400": "negative.unknown_model",
    "stream_after_finish": "stream.after_finish",
    "responses_sequence_repeats": "responses.events",
    "responses_stream_disagrees": "responses.stream_consistent",
}
