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
from mock_server.profile import Profile

Schema = dict[str, Any]
PREFIXES = ("/v1", "/serving-endpoints")
INVOCATION_ANSWERS = tuple(family.response_schema for family in PAYLOADS.values())
INVOCATION_EVENTS = tuple(family.chunk_schema for family in PAYLOADS.values() if family.chunk_schema)
# The health answer has no schema file: it is the mock's own, not part of the served API.
HEALTH = {"type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}


def openapi_document(profile: Profile, token_required: bool) -> Schema:
    """The document for a mock serving `profile`; with `token_required`, every API route but
    /health declares Bearer auth (as the mock enforces it)."""
    paths: dict[str, Any] = {}
    for prefix in PREFIXES:
        paths[f"{prefix}/models"] = {"get": _operation("List the served models", None, _json("models_list"))}
        for family in PAYLOADS.values():
            body = _with_models(_schema(family.request_schema), _model_names(profile, family.model))
            content = _json(family.response_schema) | (
                _event_stream(family.chunk_schema) if family.chunk_schema else {}
            )
            route = family.route.lstrip("/")
            paths[f"{prefix}/{route}"] = {"post": _operation(f"POST {route}", body, content)}
    invocations = _operation(
        "Databricks invocations: a chat, completions or embeddings body, by shape",
        _schema("invocations_request"),
        {"application/json": {"schema": {"anyOf": [_schema(n) for n in INVOCATION_ANSWERS]}}}
        | _event_stream(*INVOCATION_EVENTS),
    )
    invocations["parameters"] = [
        {
            "name": "name",
            "in": "path",
            "required": True,
            "description": "The serving endpoint: one of the served models.",
            "schema": {"type": "string", "enum": _model_names(profile, None)},
        }
    ]
    paths["/serving-endpoints/{name}/invocations"] = {"post": invocations}
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
        document["components"] = {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}
        document["security"] = [{"bearer": []}]
    return document


def _operation(summary: str, body: Schema | None, content: Schema) -> Schema:
    operation: Schema = {
        "summary": summary,
        "responses": {
            "200": {"description": "The answer", "content": content},
            "4XX": {"description": "A rejected request", "content": _json("error")},
        },
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


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


def _model_names(profile: Profile, kind: str | None) -> list[str]:
    return [m.name for m in profile.models if kind is None or m.kind == kind]


def _with_models(schema: Schema, names: list[str]) -> Schema:
    """`schema` with its top-level `model` property narrowed to `names` (unchanged if none)."""
    if not names:
        return schema
    narrowed = copy.deepcopy(schema)
    for part in [narrowed, *narrowed.get("allOf", [])]:
        if "model" in part.get("properties", {}):
            part["properties"]["model"] = {"allOf": [part["properties"]["model"], {"enum": names}]}
    return narrowed
