"""Invalid requests: a 4xx with a well-formed error envelope (OpenAI, or Databricks' native one)."""

from __future__ import annotations

import pytest
from payloads import (
    chat_request,
    chat_response,
    databricks_error,
    exchange,
    fails,
    openai_error,
    passes,
    skips,
)

from harness.generate.invalid import UNKNOWN_MODEL, UNKNOWN_MODEL_NOTE


def rejected(body: object, status: int = 400, api: str = "openai", raw: bytes | None = None):
    note = "temperature out of range"
    return exchange(
        "errors",
        chat_request(temperature=5),
        body,
        status=status,
        expect="client_error",
        api=api,
        raw=raw,
        note=note,
    )


def test_status_passes_any_4xx() -> None:
    for status in (400, 404, 422):
        passes("negative.status", rejected(openai_error(), status))


def test_status_fails_an_accepted_invalid_request() -> None:
    fails(
        "negative.status",
        rejected(chat_response(), 200),
        "(temperature out of range)",
        "status 200",
        "accepted",
    )


def test_status_fails_a_server_error() -> None:
    fails("negative.status", rejected(openai_error(), 500), "status 500: a server error")


def test_status_fails_when_nothing_came_back() -> None:
    ex = exchange(
        "errors", chat_request(), None, status=0, expect="client_error", error="connection error: reset"
    )
    fails("negative.status", ex, "no response (connection error: reset)")


def test_status_is_judged_only_for_invalid_requests() -> None:
    skips("negative.status", exchange("chat", chat_request(), chat_response()))
    skips(
        "negative.status", exchange("auth", chat_request(), openai_error(), status=401, expect="unauthorized")
    )


def test_envelope_passes_the_openai_envelope() -> None:
    passes("negative.envelope", rejected(openai_error()))
    passes("negative.envelope", rejected(openai_error(), api="databricks"))


def test_envelope_accepts_the_databricks_native_body_only_for_databricks() -> None:
    passes("negative.envelope", rejected(databricks_error(), api="databricks"))
    fails("negative.envelope", rejected(databricks_error()), "an OpenAI error envelope, got", "$: ")


@pytest.mark.parametrize(
    ("body", "fragment", "path"),
    [
        ({"error": {"message": "bad", "type": "invalid_request_error", "param": None}}, '"code"', "$.error"),
        ({"error": "bad temperature"}, "not of type", "$.error"),
        ({"message": "bad"}, '"error"', "$"),
        (openai_error(message="  "), "the error message is empty", "$.error.message"),
    ],
)
def test_envelope_fails_malformed_envelopes(body: dict, fragment: str, path: str) -> None:
    assert fails("negative.envelope", rejected(body), fragment).path == path


def test_envelope_fails_an_empty_databricks_message() -> None:
    fails(
        "negative.envelope",
        rejected(databricks_error(message=""), api="databricks"),
        "or a Databricks error body",
    )


def test_envelope_fails_a_non_json_body() -> None:
    fails("negative.envelope", rejected(None, raw=b"Bad Request"), "a non-JSON body 'Bad Request'")
    fails("negative.envelope", rejected(None), "an empty body")


def test_envelope_is_judged_only_on_a_4xx() -> None:
    skips("negative.envelope", rejected(openai_error(), 500))
    skips("negative.envelope", rejected(chat_response(), 200))


def test_an_unknown_model_must_get_404() -> None:
    def answered(status: int):
        request = chat_request(model=UNKNOWN_MODEL)
        return exchange(
            "errors", request, openai_error(), status=status, expect="client_error", note=UNKNOWN_MODEL_NOTE
        )

    passes("negative.unknown_model", answered(404))
    fails("negative.unknown_model", answered(400), "expected 404 for an unknown model", "got status 400")
    skips(
        "negative.unknown_model",
        exchange("errors", chat_request(temperature=9), openai_error(), status=400, expect="client_error"),
    )
