"""How the mock answers, as OpenAI, Databricks or vLLM do: the one home of what differs between them.

Servers of the same API differ in three ways clients notice: the error body (OpenAI's
`{"error": {...}}` or Databricks' `{"error_code", "message"}`), how a reasoning model shows its
reasoning (OpenAI hides it and counts it in `usage.completion_tokens_details.reasoning_tokens`,
Databricks answers content blocks, vLLM a `reasoning` string), and which request fields
beyond OpenAI's they take (Databricks' SDK sends `extra_params`, `usage_context`, `client_request_id`;
GuideLLM sends vLLM's sampling extensions on every request). Unless `--flavour` forces one on every
route, the route decides: `/v1` answers as OpenAI, `/serving-endpoints` and `/api/2.0` as Databricks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Where vLLM puts a reasoning model's reasoning, beside `content`: `reasoning` since vLLM 0.11, which
# deprecated `reasoning_content` (vllm#27752) and then dropped it (vllm#33402).
REASONING_FIELD = "reasoning"


@dataclass(frozen=True)
class Flavour:
    name: str
    errors: Literal["openai", "databricks"]  # the error body
    reasoning: Literal["hidden", "blocks", "field"]  # usage details only, content blocks, REASONING_FIELD
    extensions: str | None  # the schema (schemas/) of the request fields taken beyond OpenAI's
    basic_auth: bool  # `curl -u token:$DATABRICKS_TOKEN`, as Databricks' docs show it


FLAVOURS = {
    "openai": Flavour("openai", "openai", "hidden", None, basic_auth=False),
    "databricks": Flavour("databricks", "databricks", "blocks", "databricks_extensions", basic_auth=True),
    "vllm": Flavour("vllm", "openai", "field", "vllm_extensions", basic_auth=False),
}
ROUTE_FLAVOURS = {"/v1": "openai", "/serving-endpoints": "databricks", "/api/2.0": "databricks"}
EXTENSION_SCHEMAS = tuple(f.extensions for f in FLAVOURS.values() if f.extensions)


def check_flavour(name: str | None) -> None:
    """ValueError for a name that is no flavour (None: the routes decide)."""
    if name is not None and name not in FLAVOURS:
        raise ValueError(f"unknown flavour {name!r}; known: {', '.join(FLAVOURS)}")


def flavour_for(prefix: str, forced: str | None) -> Flavour:
    """The flavour of the routes under `prefix`: the forced one, else the route's own."""
    return FLAVOURS[forced or ROUTE_FLAVOURS[prefix]]


def split_extensions(body: Any, schema: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """`body` without the fields `schema` declares, and those fields. A declared field whose schema
    has properties of its own (vLLM's `stream_options.continuous_usage_stats`) moves only those."""
    if not isinstance(body, dict):
        return body, {}
    rest, taken = dict(body), {}
    for key, sub in schema["properties"].items():
        if key not in rest:
            continue
        inner = sub.get("properties")
        if inner and isinstance(rest[key], dict):
            kept = {k: v for k, v in rest[key].items() if k not in inner}
            moved = {k: v for k, v in rest[key].items() if k in inner}
            if moved:
                rest[key], taken[key] = kept, moved
        else:
            taken[key] = rest.pop(key)
    return rest, taken
