"""GET /models and /models/{id}: the served models in OpenAI's shapes."""

from __future__ import annotations

from typing import Any

from mock_server.profile import ModelSpec, Profile

CREATED = 1_700_000_000  # a fixed timestamp: the list is the same on every call


def model_body(model: ModelSpec) -> dict[str, Any]:
    return {"id": model.name, "object": "model", "created": CREATED, "owned_by": model.owned_by}


def models_body(profile: Profile) -> dict[str, Any]:
    return {"object": "list", "data": [model_body(m) for m in profile.models]}
