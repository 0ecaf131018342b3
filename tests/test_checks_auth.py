"""Requests without a valid token: 401/403 and a well-formed error envelope."""

from __future__ import annotations

import base64

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

from harness.checks.auth import BASIC
from harness.wire.auth import BasicToken
from harness.wire.redact import redact


def refused(body: object, status: int = 401, api: str = "openai", raw: bytes | None = None):
    return exchange(
        "auth", chat_request(), body, status=status, expect="unauthorized", api=api, raw=raw, note="no token"
    )


def test_status_passes_401_and_403() -> None:
    passes("auth.status", refused(openai_error("Invalid API key", None), 401))
    passes("auth.status", refused(openai_error("Forbidden", None), 403))


def test_status_fails_an_unauthenticated_request_that_was_served() -> None:
    fails(
        "auth.status",
        refused(chat_response(), 200),
        "expected 401 or 403 for a request (no token), got status 200",
    )


def test_status_fails_other_errors() -> None:
    fails("auth.status", refused(openai_error(), 400), "status 400")
    fails("auth.status", refused(openai_error(), 500), "status 500")


def test_status_is_judged_only_for_unauthorized_exchanges() -> None:
    skips("auth.status", exchange("chat", chat_request(), chat_response()))


def test_envelope_passes_openai_and_databricks_bodies() -> None:
    passes("auth.envelope", refused(openai_error("Invalid API key", None)))
    passes("auth.envelope", refused(databricks_error("Invalid access token."), api="databricks"))


def test_envelope_fails_a_proxy_page() -> None:
    fails("auth.envelope", refused(None, raw=b"<html>401 Authorization Required</html>"), "a non-JSON body")


def test_envelope_fails_a_bare_message() -> None:
    fails("auth.envelope", refused({"detail": "Not authenticated"}), '"error" is a required property')


def test_envelope_is_judged_only_on_401_or_403() -> None:
    skips("auth.envelope", refused(openai_error(), 400))


def basic(response: object, status: int = 200, api: str = "databricks"):
    return exchange("auth", chat_request(), response, status=status, api=api, note=BASIC)


def test_basic_passes_when_databricks_accepts_the_token_as_basic_auth() -> None:
    passes("auth.basic", basic(chat_response()))


def test_basic_fails_when_the_basic_form_is_refused() -> None:
    refused_basic = basic(databricks_error("Invalid access token."), status=401)
    fails(
        "auth.basic", refused_basic, "the token as Basic auth (curl -u token:$DATABRICKS_TOKEN)", "status 401"
    )
    skips("auth.basic", basic(chat_response(), api="openai"))


def test_the_basic_form_of_the_token_is_a_secret_too() -> None:
    token = "dapi-basic-secret-0123456789"
    BasicToken(token)
    encoded = base64.b64encode(f"token:{token}".encode()).decode()
    assert encoded not in redact(f"Authorization: Basic {encoded}")
