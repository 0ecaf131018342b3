"""The payload families and the contract families built on them: the one home of what each is.

Adding a payload family is one module here (its routes, schemas, model role, stream format), its
schemas under schemas/, its checks and its mock handler.
"""

from __future__ import annotations

from harness.families import chat, completions, embeddings, responses
from harness.families.base import ContractFamily, PayloadFamily

__all__ = [
    "CONTRACT",
    "GENERATED",
    "MODEL_FLAGS",
    "PAYLOADS",
    "ContractFamily",
    "PayloadFamily",
    "native_route",
]

PAYLOADS: dict[str, PayloadFamily] = {
    f.name: f for f in (chat.FAMILY, completions.FAMILY, embeddings.FAMILY, responses.FAMILY)
}

# The flag that names each model role's model on the command line.
MODEL_FLAGS = {"chat": "--model", "embedding": "--embedding-model", "reasoning": "--reasoning-model"}

# Generated contract families, in the order a run goes through them (then "adaptive", "errors", the
# invalid requests of every payload family, and "auth"); the engine and the pytest plugin read this order.
GENERATED: tuple[ContractFamily, ...] = (
    ContractFamily("chat", "chat", "chat"),
    ContractFamily("stream", "chat", "chat"),
    ContractFamily("completions", "completions", "chat"),
    ContractFamily("embeddings", "embeddings", "embedding"),
    ContractFamily("vision", "chat", "chat"),
    ContractFamily("tools", "chat", "chat"),
    ContractFamily("structured", "chat", "chat"),
    ContractFamily("reasoning", "chat", "reasoning"),
    ContractFamily("responses", "responses", "chat"),
)
CONTRACT: dict[str, ContractFamily] = {
    f.name: f
    for f in (
        *GENERATED,
        # requests built from the target's earlier answers: harness/contract/adaptive.py
        ContractFamily("adaptive", "chat", "chat"),
        ContractFamily("errors", "chat", "chat"),
        ContractFamily("auth", "chat", "chat"),
        # the real clients' parsers on the target's answers: harness/contract/clients.py
        ContractFamily("clients", "chat", "chat", opt_in=True),
    )
}


def payload_of(family: str) -> PayloadFamily:
    """The payload family a contract family's requests belong to ("vision" -> chat)."""
    return PAYLOADS[CONTRACT[family].payload]


def model_role(family: str) -> str:
    """The model role serving a contract family: "chat", "embedding" or "reasoning"."""
    return CONTRACT[family].model


def families_of(payload: str) -> frozenset[str]:
    """The contract families whose successful answers are that payload family's responses."""
    return frozenset(f.name for f in GENERATED if f.payload == payload)


def native_route(payload: str, api: str) -> bool:
    """Whether `payload` requests to `api` may take Databricks' invocations route, where the endpoint
    in the path names the model (and the body has none)."""
    return api == "databricks" and payload != "models" and PAYLOADS[payload].native


def path_for(payload: str, api: str, model: str, native: bool = True) -> str:
    """The request path of a payload family ("models": the model list) on an OpenAI or Databricks target.

    OpenAI: paths are relative to the SDK's base URL (".../v1"). Databricks: the base URL is the
    workspace host; `native` picks `/serving-endpoints/{model}/invocations` (model optional in the
    body), else the OpenAI-style route under `/serving-endpoints` (the OpenAI SDK's base URL there).
    """
    relative = "/models" if payload == "models" else PAYLOADS[payload].route
    if api == "openai":
        return relative
    if native and native_route(payload, api):
        return f"/serving-endpoints/{model}/invocations"
    return "/serving-endpoints" + relative
