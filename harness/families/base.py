"""What a payload family is: everything the pipeline needs to know about one kind of request.

A payload family (chat, completions, embeddings, responses) is declared
once, in its own module beside this one; generators, checks, the contract engine, the load measurement,
the mock's routing and its OpenAPI document read it instead of restating it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Reassembler = Callable[[list[dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True)
class PayloadFamily:
    name: str  # "chat": also the payload `kind` of a generated case
    route: str  # under the OpenAI base URL (".../v1"), and under {host}/serving-endpoints on Databricks
    request_schema: str  # names in the schema registry (schemas/*.json)
    response_schema: str
    chunk_schema: str | None  # one streamed event's data; None: the family does not stream
    model: str  # the model role that serves it: a key of MODEL_FLAGS ("chat", "embedding", ...)
    reassemble: Reassembler | None  # a stream's chunks -> the body a plain request gets
    generates: bool  # the answer carries generated choices and completion tokens (embeddings do not)
    text_field: str | None  # where a choice's generated text lives: "text", "message.content"
    probe: dict[str, Any]  # the cheapest valid request (without model), the pre-flight's
    native: bool = True  # Databricks' /serving-endpoints/{name}/invocations answers it (by its shape)
    # "chunks": data-only events shaped like the response, with choices, ending in data: [DONE];
    # "events": typed events (`event:` and a `type` in the data), ending with a final event.
    stream_format: str = "chunks"

    @property
    def streams(self) -> bool:
        return self.chunk_schema is not None

    def choice_text(self, choice: dict[str, Any]) -> Any:
        """The raw value at `text_field` of a choice (any JSON value; None when absent)."""
        value: Any = choice
        for key in (self.text_field or "").split("."):
            value = value.get(key) if isinstance(value, dict) else None
        return value


@dataclass(frozen=True)
class ContractFamily:
    """A family of contract tests (what `--families` names): one payload family under one model role."""

    name: str
    payload: str  # the payload family its requests belong to
    model: str  # the model role whose flag serves it ("reasoning": --reasoning-model)
    opt_in: bool = False  # run only when --families names it (the clients family needs extra installs)
