"""End to end: the clean mock passes every check, and each mock defect fails the check meant to catch it.

Real HTTP against the mock (loopback, free port), sent by the harness client, judged by run_checks.
"""

from __future__ import annotations

import base64
import secrets

import pytest
from mock_support import CAUGHT_BY, CAUGHT_IN_RESPONSES, DEFECT_FLAVOUR, ONLY_ADAPTIVELY, ONLY_THROUGH_CLIENTS
from payloads import (
    RESPONSES_TOOL,
    TIME_TOOL,
    WEATHER_TOOL,
    chat_request,
    completions_request,
    embeddings_request,
    responses_request,
)

from harness.checks import run_checks
from harness.generate.invalid import UNKNOWN_MODEL, UNKNOWN_MODEL_NOTE
from harness.wire.auth import NoToken
from harness.wire.client import TargetClient
from harness.wire.exchange import Exchange, Request
from mock_server.defects import DEFECTS
from mock_server.server import running_mock

PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
NOT_AN_IMAGE = "data:image/png;base64," + base64.b64encode(b"plain text, not a PNG").decode()
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
USAGE = {"stream_options": {"include_usage": True}}
CHAT, COMPLETIONS, EMBEDDINGS, RESPONSES = "/chat/completions", "/completions", "/embeddings", "/responses"


def looking_at(url: str) -> dict:
    content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": url}}]
    return chat_request(messages=[{"role": "user", "content": content}])


# (family, path, body, expect): one of each kind of request a contract run sends.
CASES = [
    ("chat", CHAT, chat_request(max_tokens=40), "success"),
    ("chat", CHAT, chat_request(max_tokens=12, logprobs=True, top_logprobs=3), "success"),
    (
        "stream",
        CHAT,
        chat_request(stream=True, max_tokens=6, logprobs=True, top_logprobs=1, **USAGE),
        "success",
    ),
    ("chat", CHAT, chat_request(n=3, max_tokens=5, stop=["e"]), "success"),
    ("chat", CHAT, chat_request(messages=[{"role": "user", "content": "héllo wörld"}]), "success"),
    ("stream", CHAT, chat_request(stream=True, n=2, max_tokens=8, **USAGE), "success"),
    ("completions", COMPLETIONS, completions_request(n=2, stop="e"), "success"),
    ("completions", COMPLETIONS, completions_request(stream=True, **USAGE), "success"),
    ("embeddings", EMBEDDINGS, embeddings_request(input=["a", "b", "a"], dimensions=8), "success"),
    (
        "embeddings",
        EMBEDDINGS,
        embeddings_request(input=["x", "x"], encoding_format="base64", dimensions=8),
        "success",
    ),
    ("tools", CHAT, chat_request(tools=[WEATHER_TOOL, TIME_TOOL], tool_choice="required"), "success"),
    (
        "tools",
        CHAT,
        chat_request(
            tools=[WEATHER_TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}}
        ),
        "success",
    ),
    (
        "structured",
        CHAT,
        chat_request(response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON}}),
        "success",
    ),
    ("structured", CHAT, chat_request(response_format={"type": "json_object"}, stream=True), "success"),
    ("vision", CHAT, looking_at(PNG), "success"),
    ("vision", CHAT, looking_at(NOT_AN_IMAGE), "client_error"),
    ("reasoning", CHAT, chat_request(model="mock-reasoning"), "success"),
    ("reasoning", CHAT, chat_request(model="mock-reasoning", stream=True), "success"),
    ("responses", RESPONSES, responses_request(max_output_tokens=16), "success"),
    ("responses", RESPONSES, responses_request(stream=True), "success"),
    (
        "responses",
        RESPONSES,
        responses_request(tools=[RESPONSES_TOOL], tool_choice="required", max_output_tokens=512),
        "success",
    ),
    (
        "responses",
        RESPONSES,
        responses_request(text={"format": {"type": "json_schema", "name": "p", "schema": PERSON}}),
        "success",
    ),
    ("errors", CHAT, chat_request(temperature=9), "client_error"),
    ("errors", CHAT, chat_request(model=UNKNOWN_MODEL), "client_error", UNKNOWN_MODEL_NOTE),
    ("auth", CHAT, chat_request(), "unauthorized"),
]


def flavour_for(defects: list[str]) -> str | None:
    return next((DEFECT_FLAVOUR[d] for d in defects if d in DEFECT_FLAVOUR), None)


def failed_checks(defects: list[str]) -> dict[str, str]:
    """Check name -> first failure message, over every case sent to a mock with `defects`."""
    token = secrets.token_urlsafe(16)
    failed: dict[str, str] = {}
    with (
        running_mock(token=token, defects=defects, flavour=flavour_for(defects)) as root,
        TargetClient(root + "/v1", token, "TOKEN") as client,
    ):
        for family, path, body, expect, *note in CASES:
            request = Request("POST", path, body)
            response = client.send(request, auth=NoToken() if expect == "unauthorized" else None)
            for outcome in run_checks(Exchange(family, request, response, expect, note="".join(note))):
                if outcome.status == "failed":
                    failed.setdefault(outcome.check, f"{family}: {outcome.message}")
    return failed


def test_every_defect_has_a_check_that_catches_it() -> None:
    assert sorted([*CAUGHT_BY, *ONLY_ADAPTIVELY, *ONLY_THROUGH_CLIENTS]) == sorted(DEFECTS)


def test_the_clean_mock_passes_every_check() -> None:
    assert failed_checks([]) == {}


@pytest.mark.parametrize("defect", sorted(CAUGHT_BY))
def test_a_defect_fails_its_check(defect: str) -> None:
    assert CAUGHT_BY[defect] in failed_checks([defect])


@pytest.mark.parametrize("defect", sorted(CAUGHT_IN_RESPONSES))
def test_a_defect_of_the_answer_fails_its_responses_check_too(defect: str) -> None:
    assert CAUGHT_IN_RESPONSES[defect] in failed_checks([defect])
