"""Which path each payload family is sent to, for the OpenAI and the Databricks flavour of a target.

OpenAI: the base URL is what the OpenAI SDK takes (".../v1"), paths are relative to it.
Databricks: the base URL is the workspace host; the native route is
`/serving-endpoints/{endpoint}/invocations` (model optional in the body), and the OpenAI SDK works
with base URL `{host}/serving-endpoints`, so the OpenAI-style routes live under that prefix too.
"""

from __future__ import annotations

KIND_PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}


def path_for(kind: str, api: str, model: str, native: bool = True) -> str:
    """The request path for a payload `kind` ("chat", "completions", "embeddings", "models").

    With api "databricks", `native` picks `/serving-endpoints/{model}/invocations`; otherwise the
    OpenAI-style route under `/serving-endpoints`.
    """
    if api == "openai":
        return "/models" if kind == "models" else KIND_PATHS[kind]
    if kind == "models":
        return "/serving-endpoints/models"
    if native:
        return f"/serving-endpoints/{model}/invocations"
    return "/serving-endpoints" + KIND_PATHS[kind]
