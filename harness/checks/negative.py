"""Invalid requests: rejected with a 4xx (never accepted, never a server error) and a well-formed envelope."""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.views import describe_status, shorten
from harness.generate.invalid import UNKNOWN_MODEL_NOTE
from harness.wire.envelopes import envelope_problems
from harness.wire.exchange import Exchange

SHOWN = 3  # envelope problems quoted in one message


def require_envelope(ex: Exchange) -> None:
    """Raise CheckFailed unless the response body is a well-formed error envelope for the target's api."""
    wanted = "an OpenAI error envelope" + (" or a Databricks error body" if ex.api == "databricks" else "")
    body = ex.response.json
    if body is None:
        got = shorten(ex.response.body.decode("utf-8", "replace")) if ex.response.body else ""
        raise CheckFailed(f"expected {wanted}, got {f'a non-JSON body {got!r}' if got else 'an empty body'}")
    problems = envelope_problems(body, ex.api)
    if problems:
        quoted = "; ".join(f"{p.path}: {shorten(p.message, 120)}" for p in problems[:SHOWN])
        raise CheckFailed(f"expected {wanted}, got: {quoted}", problems[0].path)


def note_suffix(ex: Exchange) -> str:
    """What the request varied on purpose, as " (...)" for messages; empty when nothing was."""
    return f" ({ex.note})" if ex.note else ""


@check(
    "negative.status",
    "an invalid request is rejected with a 4xx: not accepted (2xx), not a server error (5xx)",
    applies=lambda ex: ex.expect == "client_error",
    level="compat",
    why=(
        "OpenAI's and Databricks' servers reject an invalid request with a 4xx; a 2xx means the error was"
        " silently ignored, a 5xx that the server broke."
    ),
    breaks=(
        "retry logic: clients retry 5xx (the openai SDK retries twice) and never retry 4xx; a silently "
        "accepted bad parameter hides a client bug"
    ),
)
def status(ex: Exchange) -> None:
    code = ex.response.status
    if ex.response.error or not 400 <= code < 500:
        verdict = {2: ": the invalid request was accepted", 5: ": a server error"}.get(code // 100, "")
        got = describe_status(ex.response)
        raise CheckFailed(f"expected a 4xx for an invalid request{note_suffix(ex)}, got {got}{verdict}")


@check(
    "negative.envelope",
    "the 4xx answering an invalid request carries a well-formed error envelope",
    applies=lambda ex: ex.expect == "client_error" and 400 <= ex.response.status < 500,
    level="spec",
    why=(
        'Errors carry {"error": {"message", "type", "param", "code"}} (Databricks: {"error_code", '
        '"message"}).'
    ),
    breaks=(
        "the openai SDK builds its exception message from error.message; databricks-sdk and MLflow read "
        "error_code (MLflow reports any other body as a 500)"
    ),
)
def envelope(ex: Exchange) -> None:
    require_envelope(ex)


@check(
    "negative.unknown_model",
    "a request for a model the target does not serve gets 404",
    applies=lambda ex: ex.expect == "client_error" and ex.note == UNKNOWN_MODEL_NOTE,
    level="compat",
    why=(
        "OpenAI answers an unknown model with 404 (model_not_found), as vLLM does and Databricks does for"
        " an unknown serving endpoint."
    ),
    breaks="the openai SDK's NotFoundError handling, fallbacks to another model, model-routing gateways",
)
def unknown_model(ex: Exchange) -> None:
    if ex.response.status != 404:
        raise CheckFailed(f"expected 404 for {UNKNOWN_MODEL_NOTE}, got {describe_status(ex.response)}")
