"""What Databricks' own clients read, beyond the contract OpenAI-compatible servers share (--api databricks).

databricks-sdk and MLflow Deployments read a refusal's `error_code` first: databricks-sdk maps it to
its exception classes (InvalidParameterValue, ResourceDoesNotExist, ...), and MLflow, given any other
body, reports every 400 and 404 as "500 Server Error". So on a Databricks target a 4xx must carry
Databricks' error body, not only some error envelope.
"""

from __future__ import annotations

from typing import Any

from harness.checks.base import CheckFailed, check
from harness.checks.schema import require_valid
from harness.checks.views import answered, describe_status, shorten
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


@check(
    "databricks.endpoint",
    "with --api databricks, GET /api/2.0/serving-endpoints/{name} is the endpoint's record: its name,"
    " READY, served entities and traffic routes to them",
    applies=lambda ex: ex.family == "endpoint" and answered(ex),
    level="compat",
    why=(
        "MLflow Deployments' get_endpoint and databricks-sdk's serving_endpoints.get read it; an endpoint"
        " that answers queries is READY, and its traffic goes to the entities it serves."
    ),
    breaks="MLflow Deployments' get_endpoint, databricks-sdk's serving_endpoints.get/list, deploy scripts",
)
def endpoint(ex: Exchange) -> None:
    body = ex.response.json
    require_valid("serving_endpoint", body)
    if body["name"] != ex.context["served"]:
        raise CheckFailed(f"expected the record of {ex.context['served']!r}, got {body['name']!r}", "$.name")
    if body["state"]["ready"] != "READY":
        raise CheckFailed(
            f"expected state.ready READY of an endpoint that answers, got {body['state']['ready']!r}",
            "$.state.ready",
        )
    names = served_entities(body)
    if not names:
        raise CheckFailed("expected the served entities in config.served_entities, got none", "$.config")
    routes = ((body["config"].get("traffic_config") or {}).get("routes")) or []
    for position, route in enumerate(routes):
        if isinstance(route, dict) and route.get("served_model_name") not in names:
            raise CheckFailed(
                f"expected traffic routed to a served entity ({', '.join(names)}),"
                f" got {route.get('served_model_name')!r}",
                f"$.config.traffic_config.routes[{position}].served_model_name",
            )


@check(
    "databricks.served_model",
    "with --api databricks, the served-models route of an endpoint's served entity answers what the"
    " endpoint's own route answered",
    applies=lambda ex: "endpoint_status" in ex.context and 200 <= ex.context["endpoint_status"] < 300,
    level="compat",
    why="POST /serving-endpoints/{name}/served-models/{served}/invocations queries one served entity.",
    breaks="A/B and canary comparisons that query each served entity of an endpoint directly",
)
def served_model(ex: Exchange) -> None:
    served = ex.context["served"]
    if not 200 <= ex.response.status < 300:
        raise CheckFailed(
            f"expected the served model {served!r} to answer as its endpoint did, got"
            f" {describe_status(ex.response)}",
        )
    named = ex.response.headers.get("served-model-name")
    if named is not None and named != served:
        raise CheckFailed(f"expected the served-model-name header {served!r}, got {named!r}")


def served_entities(record: Any) -> list[str]:
    """The names of the entities an endpoint record says it serves (served_entities, or the older
    served_models)."""
    config = record.get("config") if isinstance(record, dict) else None
    if not isinstance(config, dict):
        return []
    entities = config.get("served_entities") or config.get("served_models") or []
    names = [e.get("name") for e in entities if isinstance(e, dict)] if isinstance(entities, list) else []
    return [n for n in names if isinstance(n, str) and n]
