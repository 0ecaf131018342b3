"""Reading the official OpenAI OpenAPI document as plain JSON Schema, and pulling out its examples.

Reading it as JSON Schema (`nullable`, refs) is harness/schemas/openapi.py's job, which the schema diff
shares; this module adds the examples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from harness.schemas.openapi import OpenAPIDocument, SpecError, load_yaml

__all__ = ["SPEC_PATH", "OpenAPISpec", "SpecError", "load_spec"]

# Reference material kept beside the clone (../shared/refs): the official OpenAI OpenAPI document.
SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "refs" / "openai-openapi.yaml"
# A curl example's JSON body: `-d '{...}'` (the spec quotes bodies in single quotes).
_CURL_BODY = re.compile(r"(?:-d|--data(?:-raw)?)\s+'(.*?)'", re.DOTALL)
# Hand-written examples elide array items ("  .... (1536 floats total)"), leave trailing commas and
# sometimes drop a comma between members; these three patterns repair that much and no more.
_ELISION_LINE = re.compile(r"^\s*\.\.\..*$\n?", re.MULTILINE)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_MISSING_COMMA = re.compile(r'(["\d}\]]|true|false|null)(\s*\n\s*")')


@dataclass(frozen=True)
class SpecExample:
    """One JSON example the spec gives for an operation: a request body or a response body."""

    title: str
    kind: Literal["request", "response"]
    body: Any


class OpenAPISpec(OpenAPIDocument):
    """The OpenAI document, with each operation's examples."""

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


@cache
def load_spec(path: Path = SPEC_PATH) -> OpenAPISpec:
    """The spec at `path`, parsed once per process."""
    return OpenAPISpec(load_yaml(path))
