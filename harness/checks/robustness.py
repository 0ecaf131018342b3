"""Robustness: whatever is sent, the server answers, and never with a 5xx."""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.views import describe_status
from harness.wire.exchange import Exchange


@check(
    "robustness.no_server_error",
    "every request gets a complete response that is not a 5xx",
    level="strict",
    why="No valid request, unicode and long prompts included, should make the server fail.",
    breaks="every client retries 5xx, multiplying load on a server that is already failing",
)
def no_server_error(ex: Exchange) -> None:
    if ex.response.error or ex.response.status >= 500:
        raise CheckFailed(f"expected a complete non-5xx response, got {describe_status(ex.response)}")
