"""clients.*: each real client read the target's answer to what it sent, or says why it could not."""

from __future__ import annotations

import pytest
from payloads import assistant, chat_response, choice, client_exchange, fails, passes, skips

from harness.checks.clients import CLIENTS

TEXT = "Hello there, friend."


@pytest.mark.parametrize("check", sorted(CLIENTS))
def test_a_client_that_read_the_answer_passes(check: str) -> None:
    passes(check, client_exchange(check, read=TEXT))
    passes(check, client_exchange(check, read=TEXT, stream=True))
    passes(check, client_exchange(check, read=None))  # a call that reads no text (tools, parse)


def test_the_clients_own_exception_fails() -> None:
    failure = fails("clients.openai", raising("clients.openai", "pydantic_core.ValidationError: 1 error"))
    assert (
        failure.message.startswith("the openai SDK could not read the answer: pydantic")
        and failure.path == "$"
    )
    fails(
        "clients.langchain_openai", raising("clients.langchain_openai", "ValueError: no chunks"), "langchain"
    )
    fails("clients.mlflow", raising("clients.mlflow", "mlflow.MlflowException: format"), "MLflow", "format")
    fails("clients.databricks_sdk", raising("clients.databricks_sdk", "IndexError: range"), "databricks-sdk")


def raising(check: str, raised: str):
    return client_exchange(check, raised=raised)


@pytest.mark.parametrize("check", sorted(CLIENTS))
def test_a_client_that_read_other_text_fails(check: str) -> None:
    fails(check, client_exchange(check, read="Hello"), "read 'Hello'", repr(TEXT))
    fails(check, client_exchange(check, read="", stream=True), "read ''", repr(TEXT))


def test_a_refused_request_is_not_the_clients_to_read() -> None:
    refused = client_exchange("clients.openai", raised="openai.BadRequestError: Error code: 400")
    refused.response.status = 400
    skips("clients.openai", refused)
    other = client_exchange("clients.mlflow", raised="boom")
    skips("clients.openai", other)  # each check judges its own client's calls


def test_the_text_of_content_blocks_is_what_a_client_reads() -> None:
    blocks = [{"type": "text", "text": "Hi"}, {"type": "text", "text": " you"}]
    answer = chat_response(choice(message=assistant(blocks)))
    passes("clients.mlflow", client_exchange("clients.mlflow", answer, read="Hi you"))
    fails("clients.mlflow", client_exchange("clients.mlflow", answer, read="Hi"), "read 'Hi'")
