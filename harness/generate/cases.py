"""The unit of request generation: one request body for one payload family, and what it should get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Generated families, in the order a run goes through them; "errors" holds the invalid requests.
FAMILIES: tuple[str, ...] = (
    "chat",
    "stream",
    "completions",
    "embeddings",
    "vision",
    "tools",
    "structured",
    "reasoning",
    "errors",
)

# Which payload kind (and so which route and request schema) each valid family sends.
FAMILY_KINDS: dict[str, str] = {
    "chat": "chat",
    "stream": "chat",
    "completions": "completions",
    "embeddings": "embeddings",
    "vision": "chat",
    "tools": "chat",
    "structured": "chat",
    "reasoning": "chat",
}

# The request schema a body of each kind must (or, for invalid cases, must not) validate against.
KIND_SCHEMAS: dict[str, str] = {
    "chat": "chat_request",
    "completions": "completions_request",
    "embeddings": "embeddings_request",
}


@dataclass(frozen=True)
class Case:
    """One request to send.

    `expect` is "success" or "client_error". `note` says what an invalid case broke.
    `semantic` marks an invalid case the request schema cannot reject (e.g. tool_choice naming a
    function the request does not declare): only the server can.
    """

    family: str
    kind: str
    body: dict[str, Any]
    expect: str = "success"
    note: str = ""
    semantic: bool = False

    @property
    def schema(self) -> str:
        return KIND_SCHEMAS[self.kind]
