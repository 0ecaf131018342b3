"""Reading the official OpenAI OpenAPI document as plain JSON Schema, and pulling out its examples.

The spec is OpenAPI 3.1 but still writes `nullable: true` (an OpenAPI 3.0 keyword JSON Schema does not
know): `component()` turns those into type unions (and adds null to enums) and inlines every
`#/components/schemas/...` ref, so jsonschema and the generator can consume the result.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

# Reference material kept beside the clone (../shared/refs): the official OpenAI OpenAPI document.
SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "refs" / "openai-openapi.yaml"
_COMPONENT_REF = "#/components/schemas/"
# Keys that are OpenAPI annotations, not JSON Schema: dropped so validators and generators ignore them.
_OPENAPI_ONLY = {"nullable", "discriminator", "example", "xml", "externalDocs"}
# Draft 2019-09 recursion keywords (invalid under 2020-12): the anchor goes, a `$recursiveRef` is cut.
_RECURSION_ANCHOR = "$recursiveAnchor"
# A curl example's JSON body: `-d '{...}'` (the spec quotes bodies in single quotes).
_CURL_BODY = re.compile(r"(?:-d|--data(?:-raw)?)\s+'(.*?)'", re.DOTALL)
# Hand-written examples elide array items ("  .... (1536 floats total)"), leave trailing commas and
# sometimes drop a comma between members; these three patterns repair that much and no more.
_ELISION_LINE = re.compile(r"^\s*\.\.\..*$\n?", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_MISSING_COMMA = re.compile(r'(["\d}\]]|true|false|null)(\s*\n\s*")')


class SpecError(Exception):
    """The spec file is missing or unreadable, or a component or operation is not in it."""


@dataclass(frozen=True)
class SpecExample:
    """One JSON example the spec gives for an operation: a request body or a response body."""

    title: str
    kind: Literal["request", "response"]
    body: Any


class OpenAPISpec:
    """An OpenAPI document with components readable as self-contained JSON Schemas."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
        self._components: dict[str, dict[str, Any]] = {}

    def component_names(self) -> list[str]:
        return list(self._schemas)

    def component(self, name: str) -> dict[str, Any]:
        """Component `name` as JSON Schema: nullable turned into unions, refs inlined.

        A ref back into a component that is still being expanded (recursion), like a `$recursiveRef`,
        becomes `{}` (anything), which keeps the result finite; such spots are looser than the spec.
        """
        if name not in self._components:
            if name not in self._schemas:
                raise SpecError(f"no component schema {name!r} in the spec")
            self._components[name] = self._expand(self._schemas[name], (name,))
        return copy.deepcopy(self._components[name])

    def _expand(self, node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self._expand(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        if "$recursiveRef" in node:
            return {}
        if "$ref" in node:
            target = self._component_name(node["$ref"])
            inlined = {} if target in stack else self._expand(self._schemas[target], (*stack, target))
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if not siblings:
                return inlined
            return _nullable({"allOf": [inlined, self._expand(_drop_nullable(siblings), stack)]}, siblings)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _OPENAPI_ONLY or key == _RECURSION_ANCHOR or key.startswith("x-"):
                continue
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                # Maps of property name -> schema: a property may be called "nullable" or "example".
                out[key] = {prop: self._expand(sub, stack) for prop, sub in value.items()}
            elif key in ("enum", "const", "default", "examples"):
                out[key] = value
            elif key == "required" and isinstance(value, list):
                out[key] = list(dict.fromkeys(value))  # the spec repeats names in a few lists
            else:
                out[key] = self._expand(value, stack)
        _numeric_exclusive_bounds(out)
        return _nullable(out, node)

    def _component_name(self, ref: str) -> str:
        if not ref.startswith(_COMPONENT_REF):
            raise SpecError(f"unsupported $ref {ref!r}: only {_COMPONENT_REF}... refs are resolved")
        name = ref.removeprefix(_COMPONENT_REF)
        if name not in self._schemas:
            raise SpecError(f"dangling $ref {ref!r}: no such component schema")
        return name

    def operation(self, path: str, method: str) -> dict[str, Any]:
        try:
            return self.document["paths"][path][method.lower()]
        except KeyError:
            raise SpecError(f"no operation {method.upper()} {path} in the spec") from None

    def examples_for(self, path: str, method: str) -> list[SpecExample]:
        """Every JSON request/response example of an operation.

        Sources: OpenAPI `example`/`examples` under requestBody and responses, and the x-oaiMeta
        examples (the JSON body of the curl request; the response text, or each JSON line of a
        streamed response). Examples that are not JSON (multipart uploads, elided arrays) are skipped.
        """
        op = self.operation(path, method)
        found: list[SpecExample] = []
        for media in op.get("requestBody", {}).get("content", {}).values():
            found += [SpecExample(title, "request", body) for title, body in _openapi_examples(media)]
        for status, response in op.get("responses", {}).items():
            for media in response.get("content", {}).values():
                found += [
                    SpecExample(f"{status} {title}", "response", body)
                    for title, body in _openapi_examples(media)
                ]
        meta = op.get("x-oaiMeta", {}).get("examples", [])
        for index, example in enumerate(meta if isinstance(meta, list) else [meta]):
            title = example.get("title", f"example {index}")
            curl = example.get("request", {}).get("curl", "")
            found += [SpecExample(title, "request", body) for body in _curl_bodies(curl)]
            found += [
                SpecExample(title, "response", body) for body in _json_documents(example.get("response"))
            ]
        return found


def _drop_nullable(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k != "nullable"}


def _nullable(schema: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    """Apply `nullable: true` from `original` to the converted `schema` as a JSON Schema union."""
    if original.get("nullable") is not True:
        return schema
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in types:
            schema["type"] = [*types, "null"]
        # A type union is not enough when composition keywords also constrain the value.
        if not any(k in schema for k in ("oneOf", "anyOf", "allOf")):
            return schema
    elif "enum" in schema and not any(k in schema for k in ("oneOf", "anyOf", "allOf")):
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _numeric_exclusive_bounds(schema: dict[str, Any]) -> None:
    """OpenAPI 3.0's boolean `exclusiveMinimum: true` (beside `minimum`) becomes JSON Schema's number form."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        # pop first: a boolean form goes either way; `true` moves the bound into the exclusive keyword.
        if isinstance(schema.get(exclusive), bool) and schema.pop(exclusive) and bound in schema:
            schema[exclusive] = schema.pop(bound)


def _openapi_examples(media: dict[str, Any]) -> list[tuple[str, Any]]:
    out = [("example", media["example"])] if "example" in media else []
    out += [(name, ex["value"]) for name, ex in media.get("examples", {}).items() if "value" in ex]
    return out


def _curl_bodies(curl: str) -> list[Any]:
    return [doc for match in _CURL_BODY.finditer(curl) for doc in _json_documents(match.group(1))]


def _json_documents(text: Any) -> list[Any]:
    """A JSON document, or one per line for JSON-lines text (SSE examples); [] when it is not JSON."""
    if not isinstance(text, str):
        return []
    repaired = _TRAILING_COMMA.sub(r"\1", _ELISION_LINE.sub("", text))
    repaired = _MISSING_COMMA.sub(r"\1,\2", repaired)
    for candidate in (text, repaired):
        try:
            return [json.loads(candidate)]
        except json.JSONDecodeError:
            continue
    docs = []
    for line in text.splitlines():
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # elisions like "...." between streamed chunks
    return docs


def _load_yaml(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open("rb") as handle:
            return yaml.load(handle, Loader=loader)
    except OSError as exc:
        raise SpecError(f"cannot read the OpenAPI spec at {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"the OpenAPI spec at {path} is not valid YAML: {exc}") from None


@cache
def load_spec(path: Path = SPEC_PATH) -> OpenAPISpec:
    """The spec at `path`, parsed once per process."""
    return OpenAPISpec(_load_yaml(path))
