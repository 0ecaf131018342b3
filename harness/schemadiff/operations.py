"""Compare two OpenAPI documents operation by operation, as oasdiff does, in the schema diff's terms.

Per operation (method and path): added or removed; each parameter (by location and name: added,
removed, required or not, its schema); the request body (required or not, each media type, its
schema); each response status code and media type (its schema; for `text/event-stream`, the schema
of each event, `itemSchema` where OpenAPI 3.2 gives it). Schemas are read through
harness/schemas/openapi.py (`$ref`s inlined, `nullable` made a type union) and compared by
compare.py; requests break whoever a request change breaks, responses likewise (classify.py).

Sources: a file (YAML or JSON), `REVISION:PATH` in a git repository, or an http(s) URL of a served
document (`/openapi.json`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from harness.schemadiff.classify import Direction, breaking_for
from harness.schemadiff.compare import Effect, compare
from harness.schemadiff.load import SchemaSetError, git_show
from harness.schemadiff.sets import SchemaChange, SchemaDiff
from harness.schemas.openapi import OpenAPIDocument, SpecError, load_yaml, parse_yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")
_REVISION_PATH = re.compile(r"^[^:/\\\s][^:\s]*:[^:\s]+$")
_URL_TIMEOUT_S = 30.0


def is_document(source: str) -> bool:
    """Whether `source` names an OpenAPI document rather than a schema set (a folder or a revision)."""
    if source.startswith(("http://", "https://")):
        return True
    if Path(source).is_dir():
        return False
    return Path(source).is_file() or source.endswith(_DOCUMENT_SUFFIXES)


def load_document(source: str, repo: Path) -> OpenAPIDocument:
    """The OpenAPI document `source` names; SchemaSetError when it cannot be read or is not one."""
    try:
        if source.startswith(("http://", "https://")):
            document = parse_yaml(_fetch(source), source)
        elif _REVISION_PATH.match(source) and not Path(source).exists():
            revision, _, path = source.partition(":")
            document = parse_yaml(git_show(repo, revision, path), source)
        else:
            document = load_yaml(Path(source))
    except SpecError as exc:
        raise SchemaSetError(str(exc)) from None
    if not isinstance(document.get("paths"), dict) or "openapi" not in document:
        raise SchemaSetError(f"{source}: not an OpenAPI document (no `openapi` version or `paths`)")
    return OpenAPIDocument(document)


def _fetch(url: str) -> bytes:
    try:
        # No redirects: a document is read from where it was asked for, never from another origin.
        response = httpx.get(url, timeout=_URL_TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise SchemaSetError(f"{url}: cannot fetch: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise SchemaSetError(f"{url}: HTTP {response.status_code}")
    return response.content


def _base_path(doc: OpenAPIDocument) -> str:
    """The path of the document's first server URL ("/v1" for https://api.openai.com/v1), or ""."""
    servers = doc.document.get("servers")
    url = (
        servers[0].get("url")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict)
        else ""
    )
    return urlparse(url).path.rstrip("/") if isinstance(url, str) else ""


def _operations(doc: OpenAPIDocument) -> dict[str, tuple[dict[str, Any], list[Any]]]:
    """`METHOD /path` -> (operation, the path item's shared parameters).

    Paths carry the server URL's path, so a document served at `/v1/...` and one whose server is
    `https://host/v1` line up, as a client calling either sees them.
    """
    found = {}
    base = _base_path(doc)
    for path, item in doc.document["paths"].items():
        item = doc.deref(item)
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found[f"{method.upper()} {base}{path}"] = (item[method], item.get("parameters", []))
    return found


def diff_documents(old: OpenAPIDocument, new: OpenAPIDocument) -> SchemaDiff:
    """Every change between two OpenAPI documents, operation by operation."""
    result = SchemaDiff()
    before, after = _operations(old), _operations(new)
    for label in sorted(before.keys() | after.keys()):
        result.compared += 1
        if label not in after:
            result.changes.append(
                _change(label, "request", "operation_removed", Effect.NARROWER, label, None)
            )
        elif label not in before:
            result.changes.append(_change(label, "request", "operation_added", Effect.NONE, None, label))
        else:
            try:
                result.changes += list(_operation(label, old, before[label], new, after[label]))
            except SpecError as exc:
                result.not_compared[label] = str(exc)
    return result


def _change(
    where: str, way: Direction, category: str, effect: Effect, old: Any, new: Any, path: str = "$"
) -> SchemaChange:
    return SchemaChange(where, way, path, category, breaking_for(effect, way), old, new)


def _schemas(where: str, way: Direction, old: Any, new: Any) -> Iterator[SchemaChange]:
    for c in compare(old, new):
        yield SchemaChange(where, way, c.path, c.category, breaking_for(c.effect, way), c.old, c.new)


Side = tuple[dict[str, Any], list[Any]]


def _operation(
    label: str, old_doc: OpenAPIDocument, old: Side, new_doc: OpenAPIDocument, new: Side
) -> Iterator[SchemaChange]:
    yield from _parameters(label, old_doc, old, new_doc, new)
    old_body, new_body = old_doc.deref(old[0].get("requestBody")), new_doc.deref(new[0].get("requestBody"))
    yield from _body(f"{label} request", "request", old_doc, old_body, new_doc, new_body)
    old_responses, new_responses = old[0].get("responses", {}), new[0].get("responses", {})
    for status in sorted(old_responses.keys() | new_responses.keys(), key=str):
        where = f"{label} {status}"
        if status not in new_responses:
            yield _change(where, "response", "response_removed", Effect.NARROWER, str(status), None)
        elif status not in old_responses:
            yield _change(where, "response", "response_added", Effect.WIDER, None, str(status))
        else:
            old_response = old_doc.deref(old_responses[status])
            new_response = new_doc.deref(new_responses[status])
            yield from _content(where, "response", old_doc, old_response, new_doc, new_response)


def _parameters(
    label: str, old_doc: OpenAPIDocument, old: Side, new_doc: OpenAPIDocument, new: Side
) -> Iterator[SchemaChange]:
    before, after = _parameter_map(old_doc, *old), _parameter_map(new_doc, *new)
    for key in sorted(before.keys() | after.keys()):
        where = f"{label} parameter {key}"
        was, now = before.get(key), after.get(key)
        if now is None:
            yield _change(where, "request", "parameter_removed", Effect.NARROWER, key, None)
        elif was is None:
            effect = Effect.NARROWER if now.get("required") else Effect.NONE
            yield _change(where, "request", "parameter_added", effect, None, key)
        else:
            if bool(was.get("required")) != bool(now.get("required")):
                effect = Effect.NARROWER if now.get("required") else Effect.WIDER
                yield _change(
                    where, "request", "required_changed", effect, was.get("required"), now.get("required")
                )
            yield from _schemas(
                where, "request", old_doc.schema(was.get("schema", {})), new_doc.schema(now.get("schema", {}))
            )


def _parameter_map(doc: OpenAPIDocument, operation: dict[str, Any], shared: list[Any]) -> dict[str, Any]:
    found = {}
    for parameter in [*shared, *operation.get("parameters", [])]:  # the operation's own win
        parameter = doc.deref(parameter)
        if isinstance(parameter, dict) and "name" in parameter:
            found[f"{parameter.get('in', '?')}:{parameter['name']}"] = parameter
    return found


def _body(
    where: str, way: Direction, old_doc: OpenAPIDocument, old: Any, new_doc: OpenAPIDocument, new: Any
) -> Iterator[SchemaChange]:
    if old is None and new is None:
        return
    if new is None:
        yield _change(where, way, "request_body_removed", Effect.NARROWER, "requestBody", None)
        return
    if old is None:
        effect = Effect.NARROWER if new.get("required") else Effect.WIDER
        yield _change(where, way, "request_body_added", effect, None, "requestBody")
        return
    if bool(old.get("required")) != bool(new.get("required")):
        effect = Effect.NARROWER if new.get("required") else Effect.WIDER
        yield _change(where, way, "required_changed", effect, old.get("required"), new.get("required"))
    yield from _content(where, way, old_doc, old, new_doc, new)


def _content(
    where: str,
    way: Direction,
    old_doc: OpenAPIDocument,
    old: dict[str, Any],
    new_doc: OpenAPIDocument,
    new: dict[str, Any],
) -> Iterator[SchemaChange]:
    before, after = old.get("content", {}) or {}, new.get("content", {}) or {}
    for media in sorted(before.keys() | after.keys()):
        at = f"{where} {media}"
        if media not in after:
            yield _change(at, way, "media_type_removed", Effect.NARROWER, media, None)
        elif media not in before:
            yield _change(at, way, "media_type_added", Effect.WIDER, None, media)
        else:
            key = "itemSchema" if "itemSchema" in before[media] or "itemSchema" in after[media] else "schema"
            label = f"{at} (each event)" if media == "text/event-stream" else at
            yield from _schemas(
                label,
                way,
                old_doc.schema(before[media].get(key, {})),
                new_doc.schema(after[media].get(key, {})),
            )
