"""Our schemas against the official OpenAI spec: its examples, instances generated from its own component
schemas, and every place we are deliberately stricter (each shown spec-valid yet rejected by us).

Generation runs on "tightened" spec components: the spec schema with our documented stricter rules
applied (see TIGHTEN). Everything in that region is spec-valid, so our schemas must accept all of it;
the rules themselves are pinned by STRICTER, which proves each one real and documented in a $comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec import SPEC_PATH, OpenAPISpec, SpecError, load_spec

from harness.generate.engine import values
from harness.schemas.registry import registry

needs_spec = pytest.mark.skipif(not SPEC_PATH.exists(), reason=f"official spec not found at {SPEC_PATH}")

# --- the spec's own examples -------------------------------------------------------------------------

OPERATIONS = [
    ("/chat/completions", "post", "chat_request", "chat_response"),
    ("/completions", "post", "completions_request", "completions_response"),
    ("/embeddings", "post", "embeddings_request", "embeddings_response"),
    ("/models", "get", None, "models_list"),
    ("/responses", "post", "responses_request", "responses_response"),
]


def _schema_for(body: Any, kind: str, request_schema: str | None, response_schema: str) -> str:
    if kind == "request":
        assert request_schema, "a request example for an operation without a request body"
        return request_schema
    if isinstance(body, dict) and body.get("object") == "chat.completion.chunk":
        return "chat_chunk"
    return response_schema


@needs_spec
@pytest.mark.parametrize(("path", "method", "request_schema", "response_schema"), OPERATIONS)
def test_spec_examples_are_accepted(
    path: str, method: str, request_schema: str | None, response_schema: str
) -> None:
    examples = load_spec().examples_for(path, method)
    kinds = {ex.kind for ex in examples}
    assert kinds == ({"request", "response"} if request_schema else {"response"})
    for ex in examples:
        name = _schema_for(ex.body, ex.kind, request_schema, response_schema)
        assert registry().errors(name, ex.body) == [], f"{method.upper()} {path} {ex.title!r} ({ex.kind})"


@needs_spec
def test_spec_examples_cover_streaming_vision_tools_and_logprobs() -> None:
    """The chat examples exercise the families we care about, so the test above is not vacuous."""
    examples = load_spec().examples_for("/chat/completions", "post")
    titles = {ex.title for ex in examples}
    assert {"Image input", "Streaming", "Functions", "Logprobs"} <= titles
    chunks = [ex.body for ex in examples if ex.body.get("object") == "chat.completion.chunk"]
    assert len(chunks) >= 2


# --- instances generated from the spec's component schemas -------------------------------------------

_LITERAL_KEYS = {"enum", "const", "default", "examples"}
FUNCTION_NAME = {"properties": {"name": {"pattern": "^[A-Za-z0-9_-]{1,64}$"}}}
TOKEN_ID = {"type": "integer", "minimum": 0}


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object in a schema tree (property maps and literal values are not schemas)."""
    if isinstance(node, list):
        for item in node:
            yield from _subschemas(item)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "patternProperties"):
                for sub in value.values():
                    yield from _subschemas(sub)
            elif key not in _LITERAL_KEYS:
                yield from _subschemas(value)


def close_objects(schema: dict[str, Any]) -> None:
    """No extra keys: our request objects are closed (and extra keys only slow response generation)."""
    for node in list(_subschemas(schema)):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False


def cap_arrays(schema: dict[str, Any], size: int = 3) -> None:
    """Short arrays keep generation of the big response components within the test's time budget."""
    for node in list(_subschemas(schema)):
        if "items" in node and "maxItems" not in node:
            node["maxItems"] = size


def _kind(branch: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The discriminating `type` or `role` value of a union branch, if it has a single one."""
    for key in keys:
        prop = branch.get("properties", {}).get(key, {})
        if "const" in prop:
            return prop["const"]
        if len(prop.get("enum", [])) == 1:
            return prop["enum"][0]
    return next((k for part in branch.get("allOf", []) if (k := _kind(part, keys)) is not None), None)


def drop_kinds(schema: dict[str, Any], kinds: set[str], keys: tuple[str, ...] = ("type", "role")) -> None:
    """Remove union branches of the given types/roles (ones we do not support)."""
    for node in list(_subschemas(schema)):
        for key in ("anyOf", "oneOf"):
            if key in node:
                node[key] = [b for b in node[key] if _kind(b, keys) not in kinds]


def drop_properties(schema: dict[str, Any], names: set[str]) -> None:
    for node in list(_subschemas(schema)):
        for name in names:
            node.get("properties", {}).pop(name, None)
        if "required" in node and isinstance(node["required"], list):
            node["required"] = [r for r in node["required"] if r not in names]


def constrain(schema: dict[str, Any], prop: str, extra: dict[str, Any]) -> None:
    """Add `extra` to every schema of a property called `prop`."""
    simple = {"minimum", "maximum", "minLength", "minItems", "pattern"}
    for node in [n for n in _subschemas(schema) if prop in n.get("properties", {})]:
        target = node["properties"][prop]
        # A flat merge where the keywords cannot interact, allOf where they could.
        if set(extra) <= simple and not set(extra) & set(target):
            node["properties"][prop] = {**target, **extra}
        else:
            node["properties"][prop] = {"allOf": [target, extra]}


def only_properties(schema: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """The object schema (possibly an allOf of parts) cut down to properties `keep`, closed."""
    props: dict[str, list[Any]] = {}
    required: set[str] = set()

    def collect(part: dict[str, Any]) -> None:
        for name, sub in part.get("properties", {}).items():
            props.setdefault(name, []).append(sub)
        required.update(part.get("required", []))
        for sub in part.get("allOf", []):
            collect(sub)

    collect(schema)
    return {
        "type": "object",
        "properties": {k: v[0] if len(v) == 1 else {"allOf": v} for k, v in props.items() if k in keep},
        "required": sorted(required & keep),
        "additionalProperties": False,
    }


def _body_properties(name: str) -> set[str]:
    return set(registry().raw(name)["$defs"]["body"]["properties"])


def _non_negative_counts(schema: dict[str, Any]) -> None:
    for prop in ("index", "created", "prompt_tokens", "completion_tokens", "total_tokens"):
        constrain(schema, prop, {"minimum": 0})


def tighten_chat_request(schema: dict[str, Any]) -> dict[str, Any]:
    schema = only_properties(schema, _body_properties("chat_request"))
    close_objects(schema)
    drop_properties(schema, {"prompt_cache_breakpoint", "audio", "function_call"})
    drop_kinds(schema, {"function"}, keys=("role",))  # the deprecated function message; tool calls stay
    drop_kinds(schema, {"input_audio", "file", "custom", "allowed_tools"})
    constrain(schema, "function", FUNCTION_NAME)
    constrain(schema, "json_schema", FUNCTION_NAME)
    constrain(schema, "model", {"minLength": 1})
    constrain(schema, "max_tokens", {"minimum": 1})
    constrain(schema, "max_completion_tokens", {"minimum": 1})
    constrain(schema, "metadata", {"maxProperties": 16, "additionalProperties": {"maxLength": 512}})
    constrain(schema, "image_url", {"properties": {"url": {"pattern": "^https?://[^\\s]+$"}}})
    constrain(
        schema,
        "logit_bias",
        {"propertyNames": {"pattern": "^[0-9]+$"}, "additionalProperties": {"minimum": -100, "maximum": 100}},
    )
    return schema


def tighten_completions_request(schema: dict[str, Any]) -> dict[str, Any]:
    schema = only_properties(schema, _body_properties("completions_request"))
    constrain(schema, "model", {"minLength": 1})
    token_ids = {"type": "array", "minItems": 1, "items": TOKEN_ID}
    prompt_items = {"anyOf": [{"type": "string"}, TOKEN_ID, token_ids]}
    constrain(
        schema,
        "prompt",
        {"anyOf": [{"type": ["string", "null"]}, {"type": "array", "minItems": 1, "items": prompt_items}]},
    )
    constrain(
        schema,
        "logit_bias",
        {"propertyNames": {"pattern": "^[0-9]+$"}, "additionalProperties": {"minimum": -100, "maximum": 100}},
    )
    close_objects(schema)
    return schema


def tighten_embeddings_request(schema: dict[str, Any]) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    items = {"anyOf": [text, TOKEN_ID, {"type": "array", "items": TOKEN_ID}]}
    constrain(schema, "input", {"anyOf": [text, {"type": "array", "items": items}]})
    constrain(schema, "model", {"minLength": 1})
    return schema


def tighten_response(schema: dict[str, Any]) -> dict[str, Any]:
    close_objects(schema)
    cap_arrays(schema)
    _non_negative_counts(schema)
    drop_kinds(schema, {"custom"})
    return schema


def tighten_embeddings_response(schema: dict[str, Any]) -> dict[str, Any]:
    constrain(schema, "embedding", {"minItems": 1})
    return tighten_response(schema)


def tighten_models_list(schema: dict[str, Any]) -> dict[str, Any]:
    constrain(schema, "data", {"items": {"type": "object"}})
    return tighten_response(schema)


def as_is(schema: dict[str, Any]) -> dict[str, Any]:
    return schema


TIGHTEN: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]], int]] = [
    ("CreateChatCompletionRequest", "chat_request", tighten_chat_request, 25),
    ("CreateCompletionRequest", "completions_request", tighten_completions_request, 20),
    ("CreateEmbeddingRequest", "embeddings_request", tighten_embeddings_request, 20),
    ("CreateChatCompletionResponse", "chat_response", tighten_response, 20),
    ("CreateChatCompletionStreamResponse", "chat_chunk", tighten_response, 20),
    ("CreateCompletionResponse", "completions_response", tighten_response, 20),
    ("CreateEmbeddingResponse", "embeddings_response", tighten_embeddings_response, 20),
    ("ListModelsResponse", "models_list", tighten_models_list, 20),
    ("ErrorResponse", "error", as_is, 20),
]


@needs_spec
@pytest.mark.parametrize(
    ("component", "ours", "tighten", "examples"), TIGHTEN, ids=[row[0] for row in TIGHTEN]
)
def test_what_the_spec_generates_is_accepted(
    component: str, ours: str, tighten: Callable[[dict[str, Any]], dict[str, Any]], examples: int
) -> None:
    strategy = values(tighten(load_spec().component(component)))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        # No shrinking: on these big documents it runs into Hypothesis' 5-minute cap. A failure still
        # shows the offending instance (below) and our errors for it.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def check(instance: Any) -> None:
        errors = registry().errors(ours, instance)
        assert errors == [], f"{[str(e) for e in errors]} in {json.dumps(instance)[:2000]}"

    check()


# --- where we are stricter than the spec, on purpose ---------------------------------------------------

CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
CHAT_RESPONSE = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi", "refusal": None},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
}


def _user(content: Any) -> dict[str, Any]:
    return {**CHAT, "messages": [{"role": "user", "content": content}]}


def _with_message(**message: Any) -> dict[str, Any]:
    choice = {**CHAT_RESPONSE["choices"][0], "message": {**CHAT_RESPONSE["choices"][0]["message"], **message}}
    return {**CHAT_RESPONSE, "choices": [choice]}


# (what we reject, spec component, our schema, a spec-valid instance, the schema whose $comment says so
#  and in which words)
STRICTER: list[tuple[str, str, str, Any, str, str]] = [
    (
        "unsupported request field",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "modalities": ["text"]},
        "chat_request",
        "modalities",
    ),
    (
        "empty model",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "model": ""},
        "chat_request",
        "model must be non-empty",
    ),
    (
        "max_tokens 0",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "max_tokens": 0},
        "chat_request",
        "max_tokens",
    ),
    (
        "function role",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "messages": [{"role": "function", "name": "f", "content": "x"}]},
        "messages",
        "`function` role",
    ),
    (
        "input_audio part",
        "CreateChatCompletionRequest",
        "chat_request",
        _user([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]),
        "content_parts",
        "input_audio",
    ),
    (
        "prompt_cache_breakpoint",
        "CreateChatCompletionRequest",
        "chat_request",
        _user([{"type": "text", "text": "hi", "prompt_cache_breakpoint": {"mode": "explicit"}}]),
        "content_parts",
        "prompt_cache_breakpoint",
    ),
    (
        "ftp image URL",
        "CreateChatCompletionRequest",
        "chat_request",
        _user([{"type": "image_url", "image_url": {"url": "ftp://host/cat.png"}}]),
        "content_parts",
        "http(s) URLs",
    ),
    (
        "function name with a space",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "tools": [{"type": "function", "function": {"name": "get weather"}}]},
        "tools",
        "^[A-Za-z0-9_-]{1,64}$",
    ),
    (
        "custom tool",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "tools": [{"type": "custom", "custom": {"name": "grep"}}]},
        "tools",
        "custom tools",
    ),
    (
        "json_schema name with a space",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "response_format": {"type": "json_schema", "json_schema": {"name": "a b"}}},
        "response_format",
        "json_schema.name",
    ),
    (
        "logit_bias out of range",
        "CreateChatCompletionRequest",
        "chat_request",
        {**CHAT, "logit_bias": {"50256": 1000}},
        "sampling",
        "-100..100",
    ),
    (
        "unknown completions field",
        "CreateCompletionRequest",
        "completions_request",
        {"model": "m", "prompt": "x", "temperature_schedule": 1},
        "completions_request",
        "closed object",
    ),
    (
        "negative prompt token id",
        "CreateCompletionRequest",
        "completions_request",
        {"model": "m", "prompt": [-1]},
        "completions_request",
        "token ids non-negative",
    ),
    (
        "empty embeddings input",
        "CreateEmbeddingRequest",
        "embeddings_request",
        {"model": "m", "input": ""},
        "embeddings_request",
        "input strings",
    ),
    (
        "negative input token id",
        "CreateEmbeddingRequest",
        "embeddings_request",
        {"model": "m", "input": [-1]},
        "embeddings_request",
        "token ids non-negative",
    ),
    (
        "negative created",
        "CreateChatCompletionResponse",
        "chat_response",
        {**CHAT_RESPONSE, "created": -1},
        "chat_response",
        "created, index and token counts must be >= 0",
    ),
    (
        "custom tool call",
        "CreateChatCompletionResponse",
        "chat_response",
        _with_message(tool_calls=[{"id": "t", "type": "custom", "custom": {"name": "grep", "input": "x"}}]),
        "tools",
        "custom tool calls",
    ),
    (
        "empty embedding",
        "CreateEmbeddingResponse",
        "embeddings_response",
        {
            "object": "list",
            "model": "m",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
            "data": [{"object": "embedding", "index": 0, "embedding": []}],
        },
        "embeddings_response",
        "must not be empty",
    ),
    (
        "non-object model entry",
        "ListModelsResponse",
        "models_list",
        {"object": "list", "data": [7]},
        "models_list",
        "data items must be objects",
    ),
]


@needs_spec
@pytest.mark.parametrize(
    ("what", "component", "ours", "instance", "documented_in", "words"),
    STRICTER,
    ids=[row[0] for row in STRICTER],
)
def test_each_stricter_rule_is_real_and_documented(
    what: str, component: str, ours: str, instance: Any, documented_in: str, words: str
) -> None:
    spec_errors = list(
        jsonschema.Draft202012Validator(load_spec().component(component)).iter_errors(instance)
    )
    assert spec_errors == [], f"{what}: the spec rejects it too, so it is no difference"
    assert registry().errors(ours, instance), f"{what}: our {ours} accepts it"
    assert words in registry().raw(documented_in)["$comment"]


# --- openapi_spec itself ----------------------------------------------------------------------

TINY = {
    "openapi": "3.1.0",
    "paths": {
        "/things": {
            "post": {
                "requestBody": {"content": {"application/json": {"example": {"a": 1}}}},
                "responses": {
                    "200": {"content": {"application/json": {"examples": {"one": {"value": {"b": 2}}}}}}
                },
                "x-oaiMeta": {
                    "examples": [
                        {
                            "title": "curl and lines",
                            "request": {"curl": "curl https://x/things \\\n  -d '{\"c\": 3}'"},
                            "response": '{"n": 1}\n....\n{"n": 2}\n',
                        },
                        {
                            "title": "hand-written",
                            "request": {"curl": "curl -F file=@x.jsonl https://x/things"},
                            "response": '{\n  "v": [\n    1,\n    .... (more)\n    2,\n  ]\n  "w": true\n}',
                        },
                    ]
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Tier": {"type": "string", "enum": ["a", "b"], "nullable": True},
            "Holder": {
                "type": "object",
                "properties": {
                    "tier": {"$ref": "#/components/schemas/Tier"},
                    "maybe": {"$ref": "#/components/schemas/Tier", "nullable": True, "description": "d"},
                    "stop": {"nullable": True, "oneOf": [{"type": "string"}, {"type": "array"}]},
                    "nullable": {"type": "integer", "x-stainless-const": True},
                    "beta": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
                },
                "discriminator": {"propertyName": "tier"},
            },
            "Node": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Node"}}},
            "Tree": {"$recursiveAnchor": True, "type": "object", "items": {"$recursiveRef": "#"}},
            "Elsewhere": {"$ref": "other.yaml#/Thing"},
            "Dangling": {"$ref": "#/components/schemas/Gone"},
        }
    },
}


def test_nullable_becomes_a_union_and_openapi_keywords_go() -> None:
    holder = OpenAPISpec(TINY).component("Holder")
    assert holder["properties"]["tier"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert holder["properties"]["stop"]["anyOf"][1] == {"type": "null"}
    assert holder["properties"]["nullable"] == {"type": "integer"}  # a property may be called "nullable"
    assert holder["properties"]["beta"] == {"type": "number", "exclusiveMinimum": 0}
    assert "discriminator" not in holder
    validator = jsonschema.Draft202012Validator(holder)
    assert validator.is_valid({"tier": None, "maybe": None, "stop": None})
    assert not validator.is_valid({"tier": "c"})
    assert not validator.is_valid({"stop": 3})


def test_recursive_refs_are_cut_and_bad_refs_reported() -> None:
    spec = OpenAPISpec(TINY)
    assert spec.component("Node")["properties"]["child"] == {}
    assert spec.component("Tree") == {"type": "object", "items": {}}
    with pytest.raises(SpecError, match="no component schema 'Nope'"):
        spec.component("Nope")
    with pytest.raises(SpecError, match=re.escape("unsupported $ref 'other.yaml#/Thing'")):
        spec.component("Elsewhere")
    with pytest.raises(SpecError, match=re.escape("dangling $ref '#/components/schemas/Gone'")):
        spec.component("Dangling")


def test_examples_from_openapi_fields_curl_and_json_lines() -> None:
    found = [(ex.title, ex.kind, ex.body) for ex in OpenAPISpec(TINY).examples_for("/things", "POST")]
    assert found == [
        ("example", "request", {"a": 1}),
        ("200 one", "response", {"b": 2}),
        ("curl and lines", "request", {"c": 3}),
        ("curl and lines", "response", {"n": 1}),
        ("curl and lines", "response", {"n": 2}),
        ("hand-written", "response", {"v": [1, 2], "w": True}),
    ]
    with pytest.raises(SpecError, match="no operation GET /things"):
        OpenAPISpec(TINY).examples_for("/things", "get")


def test_unreadable_spec_files_give_clear_errors(tmp_path: Any) -> None:
    with pytest.raises(SpecError, match=r"cannot read .*missing\.yaml"):
        load_spec(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(broken)


@needs_spec
def test_every_spec_component_converts_to_valid_json_schema() -> None:
    spec = load_spec()
    for name in spec.component_names():
        schema = spec.component(name)
        jsonschema_rs.meta.validate(schema)  # the fast meta-validator: ~1,000 components
        assert not any("nullable" in node or "$ref" in node for node in _subschemas(schema)), name
