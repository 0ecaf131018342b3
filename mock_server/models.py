"""GET /models: the served models in OpenAI's list shape."""

from __future__ import annotations

from typing import Any

from mock_server.profile import Profile

CREATED = 1_700_000_000  # a fixed timestamp: the list is the same on every call


def models_body(profile: Profile) -> dict[str, Any]:
    data = [
        {"id": m.name, "object": "model", "created": CREATED, "owned_by": m.owned_by} for m in profile.models
    ]
    return {"object": "list", "data": data}
