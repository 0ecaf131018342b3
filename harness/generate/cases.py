"""The unit of request generation: one request body for one payload family, and what it should get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.families import PAYLOADS


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
        return PAYLOADS[self.kind].request_schema
