"""OpenAPI documents read as plain JSON Schema: components and operation schemas, `$ref`s inlined.

OpenAPI 3.1 documents (the official OpenAI one among them) still write OpenAPI 3.0's `nullable:
true`, which JSON Schema does not know: it becomes a type union (and null joins an enum). OpenAPI-only
annotations and `x-` extensions are dropped; a `$ref` back into a component still being expanded
(recursion), like a draft 2019-09 `$recursiveRef`, becomes `{}` (anything), which keeps the result
finite and makes such spots looser than the document.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

_COMPONENT_REF = "#/components/schemas/"
# Keys that are OpenAPI annotations, not JSON Schema: dropped so validators and generators ignore them.
_OPENAPI_ONLY = {"nullable", "discriminator", "example", "xml", "externalDocs"}
# Draft 2019-09 recursion keywords (invalid under 2020-12): the anchor goes, a `$recursiveRef` is cut.
_RECURSION_ANCHOR = "$recursiveAnchor"


class SpecError(Exception):
    """The document is missing or unreadable, or a component, operation or `$ref` is not in it."""


class OpenAPIDocument:
    """An OpenAPI document whose schemas read as self-contained JSON Schemas."""

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

    def schema(self, node: Any) -> Any:
        """Any schema of the document (an operation's, say) as JSON Schema, refs inlined."""
        return self._expand(node, ())

    def deref(self, node: Any) -> Any:
        """A non-schema object (parameter, request body, response) with its own `$ref` followed."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise SpecError(f"cannot follow $ref {ref!r}")
            seen.add(ref)
            target: Any = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise SpecError(f"dangling $ref {ref!r}")
                target = target[part]
            node = target
        return node


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


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML (or JSON) document from a file; SpecError when it cannot be read or parsed."""
    try:
        return parse_yaml(path.read_bytes(), str(path))
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror}") from None


def parse_yaml(data: bytes, label: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise SpecError(f"{label} is not valid YAML or JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(document, dict):
        raise SpecError(f"{label} is not an OpenAPI document (not a mapping)")
    return document
