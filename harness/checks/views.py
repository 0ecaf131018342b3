"""What checks look at in an exchange: the predicates their `applies` use, and the response as one document.

A streamed chat or completions response is judged as the body its chunks reassemble into, so every
semantic check covers plain and streamed responses alike. Reading helpers never raise on odd shapes:
a value of the wrong type reads as absent, and the schema check reports it.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from harness.families import GENERATED, PAYLOADS, families_of, payload_of
from harness.schemas.registry import json_path
from harness.wire.exchange import Exchange, Response
from harness.wire.redact import safe_url
from harness.wire.streams import stream_chunks

# Families whose successful response is a chat completion (or a stream of chat completion chunks).
CHAT_FAMILIES = families_of("chat")
# Families whose response carries generated choices and token usage.
GENERATION_FAMILIES = frozenset(f.name for f in GENERATED if PAYLOADS[f.payload].generates)


def request_body(ex: Exchange) -> dict[str, Any]:
    return ex.request.body or {}


def answered(ex: Exchange) -> bool:
    """A valid request that got a 2xx: the body is the family's response, worth judging semantically."""
    return ex.expect == "success" and 200 <= ex.response.status < 300


def streamed(ex: Exchange) -> bool:
    """A successful stream request whose response arrived as text/event-stream."""
    return answered(ex) and ex.request.stream and ex.response.events is not None


def chunks(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    """The stream's JSON object chunks with their event index (none when the response is not a stream)."""
    events = ex.response.events or []
    return [(i, chunk) for i, chunk in stream_chunks(events) if isinstance(chunk, dict)]


def completion(ex: Exchange) -> dict[str, Any] | None:
    """The chat or completions response as one body: the JSON body, or the stream reassembled.

    None when the exchange is not a successful generation request or its body is not a JSON object.
    """
    if not answered(ex) or ex.family not in GENERATION_FAMILIES:
        return None
    if ex.request.stream:
        if ex.response.events is None:
            return None
        if "completion" not in ex.memo:  # many checks read it: reassemble a long stream once
            reassemble = payload_of(ex.family).reassemble
            ex.memo["completion"] = reassemble([chunk for _, chunk in chunks(ex)]) if reassemble else None
        return ex.memo["completion"]
    return ex.response.json if isinstance(ex.response.json, dict) else None


def chat_completion(ex: Exchange) -> dict[str, Any] | None:
    return completion(ex) if ex.family in CHAT_FAMILIES else None


def choices(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(position, choice) for each choice that is an object."""
    items = doc.get("choices")
    if not isinstance(items, list):
        return []
    return [(i, choice) for i, choice in enumerate(items) if isinstance(choice, dict)]


def message(choice: dict[str, Any]) -> dict[str, Any]:
    return choice["message"] if isinstance(choice.get("message"), dict) else {}


def output_text(ex: Exchange, choice: dict[str, Any]) -> str | None:
    """The generated text of a choice: completions text, message content, or its text blocks joined."""
    content = payload_of(ex.family).choice_text(choice)
    if isinstance(content, list):
        texts = [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"]
        return "".join(t for t in texts if isinstance(t, str))
    return content if isinstance(content, str) else None


def output_path(ex: Exchange, position: int) -> str:
    """Where a choice's generated text lives, as a JSON path."""
    return f"$.choices[{position}].{payload_of(ex.family).text_field}"


def tool_calls(choice: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    calls = message(choice).get("tool_calls")
    if not isinstance(calls, list):
        return []
    return [(i, call) for i, call in enumerate(calls) if isinstance(call, dict)]


def integer(value: Any) -> int | None:
    """`value` if it is a JSON integer (bool is not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_counts(doc: dict[str, Any]) -> tuple[int, int, int] | None:
    """(prompt_tokens, completion_tokens, total_tokens) when usage states all three as integers."""
    usage = doc.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion, total = (
        integer(usage.get(k)) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    )
    if prompt is None or completion is None or total is None:
        return None
    return prompt, completion, total


def from_stream(ex: Exchange) -> str:
    """A note for messages about a reassembled body, so a reader knows the paths are not in one event."""
    return " (in the reassembled stream)" if ex.request.stream else ""


def event_path(index: int, inner: str = "$") -> str:
    """The path of `inner` (a JSON path within one event's data) in the stream: `events[3].choices[0]`."""
    return f"events[{index}]{inner[1:]}"


def describe_status(response: Response) -> str:
    """What came back, for messages: "status 500", "no response (timeout: ...)", "status 200, then ..."."""
    if response.status == 0:
        return f"no response ({response.error or 'no status'})"
    if response.error:
        return f"status {response.status}, then {response.error}"
    location = response.headers.get("location")
    if 300 <= response.status < 400 and location:  # never followed: another origin is not the target
        return f"status {response.status} (a redirect to {shorten(safe_url(location), 200)}, not followed)"
    return f"status {response.status}"


def shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def user_schema_problem(schema: dict[str, Any], value: Any) -> str | None:
    """The most relevant way `value` breaks a user's own JSON Schema (Draft 2020-12), as
    "<path>: <message>"; None when it is valid."""
    error = best_match(Draft202012Validator(schema).iter_errors(value))
    if error is None:
        return None
    return f"{json_path(list(error.absolute_path))}: {shorten(error.message, 160)}"
