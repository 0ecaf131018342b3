"""databricks.error_code: with --api databricks, refusals carry Databricks' own error body."""

from __future__ import annotations

from payloads import (
    chat_request,
    chat_response,
    databricks_error,
    endpoint_exchange,
    endpoint_record,
    exchange,
    fails,
    openai_error,
    passes,
    served_exchange,
    skips,
)

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


def test_the_endpoint_record_passes() -> None:
    passes("databricks.endpoint", endpoint_exchange(endpoint_record()))


def test_a_misnamed_unready_or_misrouted_record_fails() -> None:
    fails("databricks.endpoint", endpoint_exchange(endpoint_record(name="other")), "record of 'mock-chat'")
    failure = fails("databricks.endpoint", endpoint_exchange(endpoint_record(ready="NOT_READY")), "READY")
    assert failure.path == "$.state.ready"
    fails("databricks.endpoint", endpoint_exchange(endpoint_record(routed="ghost")), "'ghost'", "mock-chat-1")
    fails("databricks.endpoint", endpoint_exchange({"name": "mock-chat"}), "valid serving_endpoint")
    bare = endpoint_record()
    bare["config"]["served_entities"] = []
    fails("databricks.endpoint", endpoint_exchange(bare), "served entities")


def test_the_served_model_answering_as_its_endpoint_passes() -> None:
    passes("databricks.served_model", served_exchange(chat_response()))
    passes(
        "databricks.served_model",
        served_exchange(chat_response(), headers={"served-model-name": "mock-chat-1"}),
    )


def test_a_served_model_refused_or_named_otherwise_fails() -> None:
    fails("databricks.served_model", served_exchange(databricks_error(), status=404), "'mock-chat-1'", "404")
    fails(
        "databricks.served_model",
        served_exchange(chat_response(), headers={"served-model-name": "other-2"}),
        "served-model-name header 'mock-chat-1', got 'other-2'",
    )
    skips("databricks.served_model", exchange("chat", chat_request(), chat_response(), api="databricks"))
