"""The model routes: GET /models lists what the target serves, GET /models/{model} describes one
(the adaptive family asks them: harness/contract/adaptive.py)."""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.schema import require_valid
from harness.checks.views import answered
from harness.wire.exchange import Exchange


@check(
    "models.listed",
    "GET /models is a model list, and it lists the model that answered the run",
    applies=lambda ex: ex.family == "models" and answered(ex),
    level="compat",
    why="The openai SDK's models.list(), LangChain and LiteLLM discover what a server offers there.",
    breaks="model pickers and health checks (LiteLLM's router, Open WebUI, LangChain's model discovery)",
)
def listed(ex: Exchange) -> None:
    body = ex.response.json
    require_valid("models_list", body)
    served = ex.context.get("served")
    ids = [item.get("id") for item in body["data"]]
    if served and served not in ids:
        raise CheckFailed(
            f"expected the list to name {served!r}, which answered this run, got {ids[:10]}", "$.data"
        )


@check(
    "models.retrieve",
    "GET /models/{model} is that model's record",
    applies=lambda ex: ex.family == "model" and answered(ex),
    level="compat",
    why="The openai SDK's models.retrieve() reads it; the id must be the model asked for.",
    breaks="clients that check a model exists before using it (the openai SDK's models.retrieve, LiteLLM)",
)
def retrieve(ex: Exchange) -> None:
    body = ex.response.json
    require_valid("model", body)
    asked = ex.request.path.rsplit("/", 1)[-1]
    if body["id"] != asked:
        raise CheckFailed(f"expected the record of {asked!r}, got {body['id']!r}", "$.id")
