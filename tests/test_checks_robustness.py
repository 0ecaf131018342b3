"""Robustness: no 5xx and no transport failure, whatever was sent."""

from __future__ import annotations

import pytest
from payloads import chat_request, chat_response, exchange, fails, openai_error, passes


@pytest.mark.parametrize("expect", ["success", "client_error", "unauthorized"])
def test_any_non_5xx_answer_passes(expect: str) -> None:
    passes("robustness.no_server_error", exchange("chat", chat_request(), chat_response()))
    passes(
        "robustness.no_server_error",
        exchange("errors", chat_request(), openai_error(), status=422, expect=expect),
    )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_fails(status: int) -> None:
    ex = exchange("errors", chat_request(), openai_error(), status=status, expect="client_error")
    fails("robustness.no_server_error", ex, f"status {status}")


def test_a_transport_failure_fails() -> None:
    ex = exchange("chat", chat_request(), None, status=0, error="timeout: read timed out")
    fails("robustness.no_server_error", ex, "no response (timeout: read timed out)")
