"""Databricks serving endpoints: each served model is an endpoint of the same name, ready, serving
one entity, as `GET /api/2.0/serving-endpoints[/{name}]` describes it (MLflow Deployments'
`get_endpoint`/`list_endpoints` and databricks-sdk's `serving_endpoints.get`/`list` read it)."""

from __future__ import annotations

from typing import Any

from mock_server.models import CREATED
from mock_server.profile import ModelSpec

WORKSPACE_ID = "1000000000000001"
TASKS = {"chat": "llm/v1/chat", "embedding": "llm/v1/embeddings"}


def served_entity(model: ModelSpec) -> str:
    """The name of the one entity the endpoint serves (the `served-model-name` of its answers)."""
    return f"{model.name}-1"


def record(model: ModelSpec) -> dict[str, Any]:
    entity = {
        "name": served_entity(model),
        "entity_name": f"system.ai.{model.name}",
        "entity_version": "1",
        "state": {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""},
        "creator": model.owned_by,
        "creation_timestamp": CREATED * 1000,
    }
    return {
        "name": model.name,
        "id": model.name.encode().hex()[:32],
        "creator": model.owned_by,
        "creation_timestamp": CREATED * 1000,
        "last_updated_timestamp": CREATED * 1000,
        "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
        "config": {
            "served_entities": [entity],
            "traffic_config": {"routes": [{"served_model_name": entity["name"], "traffic_percentage": 100}]},
            "config_version": 1,
        },
        "task": TASKS[model.kind],
        "endpoint_type": "FOUNDATION_MODEL_API",
        "permission_level": "CAN_QUERY",
        "route_optimized": False,
    }


def host_metadata(root: str) -> dict[str, Any]:
    """GET /.well-known/databricks-config, which databricks-sdk reads (unauthenticated) when it
    configures itself; with a token it needs nothing from it, but warns when it is missing."""
    return {"oidc_endpoint": f"{root}/oidc", "workspace_id": WORKSPACE_ID}
