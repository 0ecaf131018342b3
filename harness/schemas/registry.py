"""The schema registry: loads schemas/*.json, resolves `$ref`s and hands out compiled validators.

Schemas are JSON Schema 2020-12 files, one per payload family, named by file stem ("chat_request").
`resolved(name)` inlines every `$ref` (via `referencing`) into one self-contained, `$defs`-free
document: that is what the generator and the fast validator consume.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import referencing
import referencing.jsonschema

from harness.paths import SCHEMAS_DIR

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class SchemaLoadError(Exception):
    """A schema file is missing, unreadable, not valid JSON Schema, or has an unresolvable `$ref`."""


@dataclass(frozen=True)
class SchemaError:
    """One validation error: where in the instance (a JSON path like `$.choices[0].index`) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """Render an instance location as a JSON path: ["choices", 0, "index"] -> `$.choices[0].index`."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class SchemaRegistry:
    """Every schema in a folder, addressable by name, with refs resolved and validators compiled."""

    def __init__(self, folder: Path = SCHEMAS_DIR, problems: dict[str, str] | None = None) -> None:
        """Load every `*.json` of `folder`, resolving every schema now.

        By default any broken file (not JSON, not a JSON Schema, no `$id`, a dangling or recursive
        `$ref`) fails the load, naming it. Given a `problems` dict, the registry is lenient instead,
        as a diff of someone else's schema set must be: a broken file is left out and its reason
        recorded under its name, and a schema without `$id` gets its file's URI as base.
        """
        self.folder = folder
        self._raw: dict[str, dict[str, Any]] = {}
        for path in sorted(folder.glob("*.json")):
            try:
                self._raw[path.stem] = _read(path, lenient=problems is not None)
            except SchemaLoadError as exc:
                if problems is None:
                    raise
                problems[path.stem] = str(exc)
        resources = [
            (schema["$id"], referencing.jsonschema.DRAFT202012.create_resource(schema))
            for schema in self._raw.values()
        ]
        self._refs = referencing.Registry().with_resources(resources).crawl()
        self._resolved: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, jsonschema_rs.Validator] = {}
        # Resolve everything now: a dangling or recursive $ref fails the load, naming its file.
        for name in list(self._raw):
            try:
                self.resolved(name)
            except SchemaLoadError as exc:
                if problems is None:
                    raise SchemaLoadError(f"{name}.json: {exc}") from None
                problems[name] = str(exc)
                del self._raw[name]

    def names(self) -> list[str]:
        return list(self._raw)

    def raw(self, name: str) -> dict[str, Any]:
        """The schema as written in its file."""
        try:
            return self._raw[name]
        except KeyError:
            raise KeyError(f"unknown schema {name!r}; known: {', '.join(self._raw)}") from None

    def resolved(self, name: str) -> dict[str, Any]:
        """The schema with every `$ref` inlined and `$defs` dropped (requires a non-recursive schema)."""
        if name not in self._resolved:
            raw = self.raw(name)
            resolver = self._refs.resolver(base_uri=raw["$id"])
            self._resolved[name] = _inline(raw, resolver, ())
        return self._resolved[name]

    def validator(self, name: str) -> jsonschema_rs.Validator:
        if name not in self._validators:
            self._validators[name] = jsonschema_rs.Draft202012Validator(self.resolved(name))
        return self._validators[name]

    def errors(self, name: str, instance: Any) -> list[SchemaError]:
        """Every way `instance` breaks schema `name`.

        A failed anyOf/oneOf is explained by the one branch the instance evidently meant (see
        `_explain`), so the path points at the real fault ("$.messages[0].content[0].image_url.url")
        rather than at the union ("$.messages[0]").
        """
        return [found for err in self.validator(name).iter_errors(instance) for found in _explain(err)]

    def some_errors(self, name: str, instance: Any, keep: int) -> tuple[list[SchemaError], int]:
        """The first `keep` errors (explained as `errors` does) and how many there are in all: a
        hostile answer can break a schema millions of times, and a report needs only a few."""
        kept: list[SchemaError] = []
        total = 0
        for err in self.validator(name).iter_errors(instance):
            total += 1
            if len(kept) < keep:
                kept += _explain(err)
        return kept[:keep], max(total, len(kept[:keep]))

    def is_valid(self, name: str, instance: Any) -> bool:
        return self.validator(name).is_valid(instance)

    def fingerprint(self) -> str:
        """A short hash of the whole schema set, so a report says which schemas judged it."""
        digest = hashlib.sha256()
        for name in sorted(self._raw):
            digest.update(name.encode())
            digest.update(orjson.dumps(self._raw[name], option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()[:12]


def _read(path: Path, lenient: bool) -> dict[str, Any]:
    try:
        schema = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise SchemaLoadError(f"{path.name}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise SchemaLoadError(f"{path.name}: not JSON: {exc}") from None
    try:
        # Against 2020-12's meta-schema whatever `$schema` says (an unknown one would be fetched), in
        # Rust: 3 ms for our 24 files where jsonschema's check_schema took 0.6 s of every start-up.
        jsonschema_rs.meta.validate(
            {**schema, "$schema": DRAFT_2020_12} if isinstance(schema, dict) else schema
        )
    except jsonschema_rs.ValidationError as exc:
        raise SchemaLoadError(f"{path.name}: not a valid JSON Schema: {exc.message}") from None
    if isinstance(schema, dict) and "$id" not in schema and lenient:
        schema = {"$id": path.resolve().as_uri(), **schema}
    if not isinstance(schema, dict) or "$id" not in schema:
        raise SchemaLoadError(f"{path.name}: has no $id")
    return schema


_UNIONS = (jsonschema_rs.ValidationErrorKind.AnyOf, jsonschema_rs.ValidationErrorKind.OneOfNotValid)


def _explain(err: jsonschema_rs.ValidationError) -> list[SchemaError]:
    """The errors of the branch a failed union's instance meant, or the union error if that is unclear.

    A branch is a worse match if its discriminator (a `const`, like role or type) disagrees, or if the
    value is of the wrong JSON type or literal for it altogether; among the rest, fewer errors is
    better. Only a single best branch that fits on kind and type is followed: otherwise (a tie, or no
    branch of that kind) the union error itself is the honest answer.
    """
    branches = err.kind.context if isinstance(err.kind, _UNIONS) else []
    if branches:
        ranked = sorted(
            (_mismatch(branch, list(err.instance_path)), index) for index, branch in enumerate(branches)
        )
        (wrong_kind, wrong_type, _), best = ranked[0]
        unique = len(ranked) == 1 or ranked[0][0] < ranked[1][0]
        if unique and not wrong_kind and not wrong_type:
            return [found for sub in branches[best] for found in _explain(sub)]
    return [SchemaError(json_path(list(err.instance_path)), err.message)]


def _mismatch(branch: list[jsonschema_rs.ValidationError], at: list[str | int]) -> tuple[bool, bool, int]:
    kinds = jsonschema_rs.ValidationErrorKind
    # A discriminator is a property of the value itself, e.g. `$.messages[0].role` for `$.messages[0]`.
    wrong_kind = any(isinstance(e.kind, kinds.Constant) and list(e.instance_path)[:-1] == at for e in branch)
    wrong_type = any(
        isinstance(e.kind, kinds.Type | kinds.Enum) and list(e.instance_path) == at for e in branch
    )
    return (wrong_kind, wrong_type, len(branch))


_DROP = {"$defs", "$id", "$schema", "$comment"}
_LITERAL = {"const", "enum", "default", "examples"}  # values, not schemas: copy as they are


def _inline(node: Any, resolver: referencing.Resolver, seen: tuple[int, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, resolver, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        try:
            resolved = resolver.lookup(ref)
        except referencing.exceptions.Unresolvable as exc:
            raise SchemaLoadError(f"cannot resolve $ref {ref!r}: {exc}") from None
        target = resolved.contents
        if id(target) in seen:
            raise SchemaLoadError(f"recursive $ref {ref!r}: schemas must stay non-recursive")
        inlined = _inline(target, resolved.resolver, (*seen, id(target)))
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if not siblings:
            return inlined
        return {"allOf": [inlined, _inline(siblings, resolver, seen)]}
    if "$id" in node:
        resolver = resolver.in_subresource(referencing.jsonschema.DRAFT202012.create_resource(node))
    # `properties`/`patternProperties` map names to schemas: keep their keys even when a property is
    # literally called "$id" or "$defs".
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key in _LITERAL:
            out[key] = value
            continue
        if key in ("properties", "patternProperties", "dependentSchemas") and isinstance(value, dict):
            out[key] = {k: _inline(v, resolver, seen) for k, v in value.items()}
        else:
            out[key] = _inline(value, resolver, seen)
    return out


@cache
def registry() -> SchemaRegistry:
    """The project's schema set, loaded once per process."""
    return SchemaRegistry()
