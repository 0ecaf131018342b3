"""databricks.error_code: with --api databricks, refusals carry Databricks' own error body."""

from __future__ import annotations

from payloads import chat_request, databricks_error, exchange, fails, openai_error, passes, skips

NAME = "databricks.error_code"


def refused(body: object, api: str = "databricks", status: int = 400, expect: str = "client_error"):
    return exchange("errors", chat_request(temperature=9), body, status=status, expect=expect, api=api)


def test_the_databricks_body_passes() -> None:
    passes(NAME, refused(databricks_error()))
    passes(NAME, refused(databricks_error("Invalid access token."), status=401, expect="unauthorized"))


def test_an_openai_envelope_on_a_databricks_target_fails() -> None:
    failure = fails(NAME, refused(openai_error()), "Databricks' error body", "got an OpenAI error envelope")
    assert failure.path == "$.error_code"
    fails(NAME, refused({"detail": "bad"}), "got keys ['detail']")
    fails(NAME, refused({"error_code": "", "message": "x"}), "error_code and message")


def test_openai_targets_and_answers_are_not_judged() -> None:
    skips(NAME, refused(openai_error(), api="openai"))
    skips(NAME, refused(databricks_error(), status=500))
