"""Before any run: is the target there, does it speak the API, does it take the token, which models
does it serve. A run against a target that fails here would only measure its failures, so `contract`
and `load` stop with one line and exit 2 instead (a verdict needs evidence).

Two requests: GET the models route (nothing answering it: unreachable; it also lists what the target
serves, for discovery and hints), then one minimal generation request (a one-token chat, or one
embeddings input) for the model the run needs first. A 5xx, a timeout or a cut answer to that probe
does not stop the run: the target is there, and its faults are for the run to report.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.families import MODEL_FLAGS, PAYLOADS, native_route, path_for
from harness.targets import ConfigError
from harness.wire.client import TargetClient, TargetUnreachable
from harness.wire.exchange import REFUSED, Request, Response

# Answers that say the server has no such API at all (a static file server, a proxy's own page).
NOT_AN_API = (405, 501)
EMBEDDING_HINTS = ("embed", "bge", "gte", "e5-")  # how embedding models are named by every major host


class TargetRefused(ConfigError):
    """The target answered the pre-flight, but not as an endpoint that can be tested: exit 2."""


@dataclass(frozen=True)
class Preflight:
    models: dict[str, str | None]  # payload kind -> the model to use (given, or discovered)
    discovered: tuple[str, ...]  # the kinds whose model came from the target's list
    listed: tuple[str, ...] | None  # the model ids GET /models listed; None when it lists none


def discover(listed: tuple[str, ...] | None, kind: str) -> str | None:
    """A listed model for a payload kind: the first embedding model for "embeddings", else the first other."""
    for model in listed or ():
        if _is_embedding(model) == (kind == "embeddings"):
            return model
    return None


def _is_embedding(model: str) -> bool:
    return any(hint in model.lower() for hint in EMBEDDING_HINTS)


def _listed(response: Response) -> tuple[str, ...] | None:
    body = response.json
    data = body.get("data") if isinstance(body, dict) else None
    if not 200 <= response.status < 300 or not isinstance(data, list):
        return None
    ids = [item.get("id") for item in data if isinstance(item, dict)]
    return tuple(i for i in ids if isinstance(i, str) and i)


def _hint(client: TargetClient, api: str) -> str:
    """Where the base URL most likely went wrong, as "; hint: ..." (empty when nothing stands out)."""
    path = urlsplit(client.base_url).path.rstrip("/")
    if api == "openai" and not path.endswith("/v1") and "/serving-endpoints" not in path:
        return f"; hint: an OpenAI base URL usually ends in /v1 (try --base-url {client.base_url}/v1)"
    if api == "databricks" and path.endswith("/v1"):
        return "; hint: --api databricks takes the workspace host (no /v1); for a /v1 URL use --api openai"
    return ""


def _describe(request: Request, response: Response) -> str:
    kind = f", {response.content_type}" if response.content_type else ""
    return f"{request.method} {request.path} answered {response.status}{kind}"


def preflight(client: TargetClient, api: str, wanted: dict[str, str | None]) -> Preflight:
    """Probe the target; raise TargetUnreachable or TargetRefused (one line each) when it cannot be
    tested. `wanted` maps each payload kind the run sends ("chat", "completions", "embeddings"), in
    the order it needs them, to the model given for it (None: discover one from the target's list);
    the first kind with a model gets the generation probe."""
    models_request = Request("GET", path_for("models", api, ""))
    models = client.send(models_request, budgeted=False)
    if models.status == 0:
        raise TargetUnreachable(f"nothing answers at {client.base_url}: {models.error}")
    # A token may be allowed to query an endpoint but not to list models (Databricks scopes them):
    # a refused list is fatal only when there is no model to probe instead.
    refused_list = models.status in REFUSED
    listed = _listed(models)
    resolved = {kind: model or discover(listed, kind) for kind, model in wanted.items()}
    discovered = tuple(kind for kind, model in wanted.items() if model is None and resolved[kind])
    probed = next(((kind, model) for kind, model in resolved.items() if model), None)
    if probed is None:
        if refused_list:
            raise TargetRefused(
                f"authentication rejected (${client.token_env}): {_describe(models_request, models)}"
            )
        if listed is None and models.content_type != "application/json":
            raise TargetRefused(
                f"not an OpenAI-compatible server: {_describe(models_request, models)}{_hint(client, api)}"
            )
        where = "it lists " + ", ".join(listed) if listed else _describe(models_request, models)
        flags = " or ".join(sorted({MODEL_FLAGS[PAYLOADS[kind].model] for kind in wanted}))
        hint = "" if listed is not None else _hint(client, api)
        raise TargetRefused(f"no model given and none discovered ({where}); give {flags}{hint}")
    kind, model = probed
    body = {**PAYLOADS[kind].probe, **({} if native_route(kind, api) else {"model": model})}
    probe = Request("POST", path_for(kind, api, model), body)
    answer = client.send(probe, budgeted=False)
    # No answer to the probe (reset, timeout, a cut body) from a host that answered GET: an endpoint
    # fault, which the run itself must report as a finding or an error kind.
    if answer.status in REFUSED:
        raise TargetRefused(f"authentication rejected (${client.token_env}): {_describe(probe, answer)}")
    if answer.status == 404:
        if listed and model not in listed:
            names = ", ".join(listed[:10])
            raise TargetRefused(
                f"model {model!r} is not served: {_describe(probe, answer)}; it lists {names}"
            )
        raise TargetRefused(f"not served: {_describe(probe, answer)}{_hint(client, api)}")
    # A 2xx that is no JSON from a host whose GET /models was JSON is an endpoint fault for the run to
    # report (so is JSON under the wrong media type); from a host that spoke no JSON at all, it is no API.
    speaks_json = any(r.json is not None or r.events is not None for r in (models, answer))
    if answer.status in NOT_AN_API or (200 <= answer.status < 300 and not speaks_json):
        raise TargetRefused(
            f"not an OpenAI-compatible server: {_describe(probe, answer)}{_hint(client, api)}"
        )
    return Preflight(resolved, discovered, listed)
