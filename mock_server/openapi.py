"""The mock's OpenAPI 3.2 document (served at GET /openapi.json), built from the schema registry.

Every payload schema is the registry's resolved one (refs inlined, no `$defs`), so an API fuzzer
such as Schemathesis consumes the document as is. The one fact added here is which models this mock
serves: a request `model` (and a Databricks endpoint name) is one of the profile's model names, so
generated requests reach the answering code instead of stopping at a 404.

OpenAPI 3.2 rather than 3.1: it is the first version that can describe a server-sent event stream
(`itemSchema`: the schema of each event, whose `data` holds a JSON chunk), so a fuzzer checks every
streamed chunk too.
"""

from __future__ import annotations

import copy
from typing import Any

from harness import __version__
from harness.families import PAYLOADS
from harness.schemas.registry import registry
from mock_server.endpoints import served_entity
from mock_server.flavours import Flavour, flavour_for
from mock_server.profile import Profile

Schema = dict[str, Any]
PREFIXES = ("/v1", "/serving-endpoints")
INVOCATION_ANSWERS = tuple(family.response_schema for family in PAYLOADS.values() if family.native)
INVOCATION_EVENTS = tuple(f.chunk_schema for f in PAYLOADS.values() if f.native and f.chunk_schema)
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "basic"},
}
# The health answer has no schema file: it is the mock's own, not part of the served API.
HEALTH = {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}


def openapi_document(profile: Profile, token_required: bool, flavour: str | None = None) -> Schema:
    """The document for a mock serving `profile` in `flavour` (None: each route its own); with
    `token_required`, every API route but /health declares its auth (as the mock enforces it)."""
    paths: dict[str, Any] = {}
    for prefix in PREFIXES:
        chosen = flavour_for(prefix, flavour)
        api = _Api(chosen, token_required)
        paths[f"{prefix}/models"] = {
            "get": api.operation("List the served models", None, _json("models_list"))
        }
        paths[f"{prefix}/models/{{model}}"] = {
            "get": api.operation(
                "One served model", None, _json("model"), _path("model", _model_names(profile))
            )
        }
        for family in PAYLOADS.values():
            body = api.request(family.request_schema, _model_names(profile, family.model))
            content = _json(family.response_schema) | (
                _event_stream(family.chunk_schema) if family.chunk_schema else {}
            )
            route = family.route.lstrip("/")
            paths[f"{prefix}/{route}"] = {"post": api.operation(f"POST {route}", body, content)}
    api = _Api(flavour_for("/serving-endpoints", flavour), token_required)
    answers = {"application/json": {"schema": {"anyOf": [_schema(n) for n in INVOCATION_ANSWERS]}}}
    endpoint = _path("name", _model_names(profile), "The serving endpoint: one of the served models.")
    served = _path("served", [served_entity(m) for m in profile.models], "The endpoint's served entity.")
    paths["/serving-endpoints/{name}/invocations"] = {
        "post": api.operation(
            "Databricks invocations: a chat, completions or embeddings body, by shape",
            api.request("invocations_request", []),
            answers | _event_stream(*INVOCATION_EVENTS),
            endpoint,
        )
    }
    paths["/serving-endpoints/{name}/served-models/{served}/invocations"] = {
        "post": api.operation(
            "Databricks invocations of one served entity of the endpoint",
            api.request("invocations_request", []),
            answers | _event_stream(*INVOCATION_EVENTS),
            endpoint + served,
        )
    }
    api = _Api(flavour_for("/api/2.0", flavour), token_required)
    record = _schema("serving_endpoint")
    listing = {"type": "object", "properties": {"endpoints": {"type": "array", "items": record}}}
    paths["/api/2.0/serving-endpoints"] = {
        "get": api.operation("List the serving endpoints", None, {"application/json": {"schema": listing}})
    }
    paths["/api/2.0/serving-endpoints/{name}"] = {
        "get": api.operation("One serving endpoint", None, _json("serving_endpoint"), endpoint)
    }
    paths["/health"] = {
        "get": {
            "summary": "Liveness",
            "security": [],
            "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": HEALTH}}}},
        }
    }
    document: Schema = {
        "openapi": "3.2.0",
        "info": {"title": "Servecheck mock server", "version": __version__},
        "paths": paths,
    }
    if token_required:
        document["components"] = {"securitySchemes": SECURITY_SCHEMES}
    return document


class _Api:
    """What the operations of one flavour share: their error body, auth and request extensions."""

    def __init__(self, flavour: Flavour, token_required: bool) -> None:
        self.flavour = flavour
        self.error = "databricks_error" if flavour.errors == "databricks" else "error"
        schemes = ["bearer", "basic"] if flavour.basic_auth else ["bearer"]
        self.security = [{name: []} for name in schemes] if token_required else []

    def operation(
        self, summary: str, body: Schema | None, content: Schema, parameters: list[Schema] | None = None
    ) -> Schema:
        operation: Schema = {
            "summary": summary,
            "responses": {
                "200": {"description": "The answer", "content": content},
                "4XX": {"description": "A rejected request", "content": _json(self.error)},
            },
        }
        if self.security:
            operation["security"] = self.security
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if parameters:
            operation["parameters"] = parameters
        return operation

    def request(self, name: str, models: list[str]) -> Schema:
        """Request schema `name`, its `model` narrowed to `models`, with the flavour's extensions."""
        schema = _with_models(_schema(name), models)
        if self.flavour.extensions:
            schema = _with_extensions(schema, _schema(self.flavour.extensions))
        return schema


def _path(name: str, values: list[str], description: str = "") -> list[Schema]:
    schema = {"type": "string", "enum": values}
    return [{"name": name, "in": "path", "required": True, "description": description, "schema": schema}]


def _json(name: str) -> Schema:
    return {"application/json": {"schema": _schema(name)}}


def _schema(name: str) -> Schema:
    return registry().resolved(name)


def _event_stream(*events: str) -> Schema:
    """OpenAPI 3.2's way to describe a stream: the schema of one event, its data a JSON chunk."""
    chunks = [{"contentMediaType": "application/json", "contentSchema": _schema(name)} for name in events]
    data = {"anyOf": [{"const": "[DONE]"}, *chunks]}
    item = {"type": "object", "properties": {"data": data}, "required": ["data"]}
    return {"text/event-stream": {"itemSchema": item}}


def _model_names(profile: Profile, kind: str | None = None) -> list[str]:
    return [m.name for m in profile.models if kind is None or m.kind == kind]


def _with_extensions(schema: Schema, extensions: Schema) -> Schema:
    """A request schema that also takes the fields `extensions` declares (one level into objects,
    as flavours.split_extensions reads them), in each of its top-level forms."""
    extended = copy.deepcopy(schema)
    for part in [extended, *extended.get("anyOf", []), *extended.get("allOf", [])]:
        properties = part.get("properties")
        if properties is None:
            continue
        for key, sub in extensions["properties"].items():
            inner = properties.get(key, {}).get("properties")
            if inner is not None and "properties" in sub:
                inner.update(sub["properties"])
            elif key not in properties:
                properties[key] = sub
    return extended


def _with_models(schema: Schema, names: list[str]) -> Schema:
    """`schema` with its top-level `model` property narrowed to `names` (unchanged if none)."""
    if not names:
        return schema
    narrowed = copy.deepcopy(schema)
    for part in [narrowed, *narrowed.get("allOf", [])]:
        if "model" in part.get("properties", {}):
            part["properties"]["model"] = {"allOf": [part["properties"]["model"], {"enum": names}]}
    return narrowed
