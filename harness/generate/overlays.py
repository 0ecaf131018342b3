"""The generation overlays: schemas/generation/*.json, loaded once with their `$ref`s inlined.

An overlay file narrows one family's requests (see narrow.py); common.json holds the fragments the
families share. References are JSON pointers within a file ("#/$defs/x") or into another overlay
file ("common.json#/$defs/x").
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from harness.generate.narrow import OverlayError
from harness.paths import SCHEMAS_DIR

OVERLAYS_DIR = SCHEMAS_DIR / "generation"


@cache
def overlays() -> dict[str, dict[str, Any]]:
    """Every overlay file by stem ("chat", "common", ...), references inlined."""
    raw: dict[str, Any] = {}
    for path in sorted(OVERLAYS_DIR.glob("*.json")):
        try:
            raw[path.name] = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise OverlayError(f"{path.name}: not JSON: {exc}") from None
    return {name.removesuffix(".json"): _inline(doc, name, raw, ()) for name, doc in raw.items()}


def _inline(node: Any, file: str, raw: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, file, raw, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target_file, _, pointer = node["$ref"].partition("#")
        target_file = target_file or file
        ref = f"{target_file}#{pointer}"
        if ref in seen:
            raise OverlayError(f"{file}: recursive $ref {node['$ref']!r}")
        try:
            target = raw[target_file]
            for part in filter(None, pointer.split("/")):
                target = target[part]
        except (KeyError, TypeError):
            raise OverlayError(f"{file}: cannot resolve $ref {node['$ref']!r}") from None
        return _inline(target, target_file, raw, (*seen, ref))
    return {key: _inline(value, file, raw, seen) for key, value in node.items()}
