"""What Databricks' own clients read, beyond the contract OpenAI-compatible servers share (--api databricks).

databricks-sdk and MLflow Deployments read a refusal's `error_code` first: databricks-sdk maps it to
its exception classes (InvalidParameterValue, ResourceDoesNotExist, ...), and MLflow, given any other
body, reports every 400 and 404 as "500 Server Error". So on a Databricks target a 4xx must carry
Databricks' error body, not only some error envelope.
"""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.views import describe_status, shorten
from harness.schemas.registry import registry
from harness.wire.exchange import Exchange


@check(
    "databricks.error_code",
    'with --api databricks, a 4xx carries Databricks\' error body {"error_code", "message"}',
    applies=lambda ex: (
        ex.api == "databricks"
        and ex.expect in ("client_error", "unauthorized")
        and 400 <= ex.response.status < 500
    ),
    level="compat",
    why='Databricks answers errors as {"error_code": "INVALID_PARAMETER_VALUE", "message": "..."}.',
    breaks=(
        "databricks-sdk (error_code None, the wrong exception class), MLflow Deployments (every 400 and 404"
        " reported as a 500), ai_query with failOnError => false (the row's error)"
    ),
)
def error_code(ex: Exchange) -> None:
    body = ex.response.json
    if registry().is_valid("databricks_error", body):
        return
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        got = "an OpenAI error envelope"
    elif isinstance(body, dict):
        got = f"keys {sorted(body)[:5]}"
    else:
        got = f"{shorten(repr(body), 60)}"
    raise CheckFailed(
        f"expected Databricks' error body with error_code and message for {describe_status(ex.response)},"
        f" got {got}",
        "$.error_code",
    )
