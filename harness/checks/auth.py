"""Requests without a valid token: refused with 401 or 403 and a well-formed error envelope."""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.negative import note_suffix, require_envelope
from harness.checks.views import describe_status
from harness.wire.auth import Auth, BearerToken, NoToken
from harness.wire.exchange import REFUSED, Exchange

WRONG_TOKEN = "servecheck-deliberately-wrong-token"
# What the auth family sends instead of the run's token, by the note its exchanges carry.
WITHOUT_VALID_TOKEN: dict[str, Auth] = {"no token": NoToken(), "wrong token": BearerToken(WRONG_TOKEN)}
BASIC = "basic token"  # the note of a Databricks request that carries the run's token as Basic auth


@check(
    "auth.status",
    "a request with a missing or wrong token is refused with 401 or 403",
    applies=lambda ex: ex.expect == "unauthorized",
    level="spec",
    why="A missing or wrong token is refused with 401 (or 403).",
    breaks=(
        "credential refresh logic (databricks-sdk re-authenticates on 401) and anyone relying on the "
        "endpoint being private"
    ),
)
def status(ex: Exchange) -> None:
    if ex.response.error or ex.response.status not in REFUSED:
        raise CheckFailed(
            f"expected 401 or 403 for a request{note_suffix(ex)}, got {describe_status(ex.response)}"
        )


@check(
    "auth.envelope",
    "the 401/403 refusing a request carries a well-formed error envelope",
    applies=lambda ex: ex.expect == "unauthorized" and ex.response.status in REFUSED,
    level="compat",
    why="The refusal carries an error envelope that says what is wrong.",
    breaks=(
        "the openai SDK's AuthenticationError message, databricks-sdk's PermissionDenied/Unauthenticated "
        "mapping (it crashes on some bodies)"
    ),
)
def envelope(ex: Exchange) -> None:
    require_envelope(ex)


@check(
    "auth.basic",
    "with --api databricks, the token sent as Basic auth (user `token`) is accepted",
    applies=lambda ex: ex.api == "databricks" and ex.note == BASIC,
    level="compat",
    why="Databricks' docs query endpoints with `curl -u token:$DATABRICKS_TOKEN`: Basic auth with the token.",
    breaks="the curl commands of Databricks' docs, scripts and tools that use Basic auth with a PAT",
)
def basic(ex: Exchange) -> None:
    if not 200 <= ex.response.status < 300:
        raise CheckFailed(
            f"expected the token as Basic auth (curl -u token:$DATABRICKS_TOKEN) to be accepted, got"
            f" {describe_status(ex.response)}"
        )
