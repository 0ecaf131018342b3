"""Strategies for valid requests, one per payload family.

Every value is drawn from the request schema narrowed by the family's overlay
(schemas/generation/<family>.json, intersected by narrow.py): the sampling parameters from the
body's properties, each message from the message union. Python only puts the pieces together and
ties what a schema cannot: which tool the prompt, the earlier tool call and a named tool_choice
refer to, a prompt that fits the structured-output schema, a repeated embeddings input.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
import orjson
from hypothesis import strategies as st

from harness.families import CONTRACT, PAYLOADS
from harness.generate.cases import Case
from harness.generate.engine import register_formats, values
from harness.generate.narrow import OverlayError, flatten, narrow
from harness.generate.overlays import overlays
from harness.generate.values import FORMATS
from harness.schemas.registry import registry

Body = dict[str, Any]
Schema = dict[str, Any]


@cache
def body_schema(kind: str) -> dict[str, Any]:
    """The request schema for a payload kind, resolved and with its top-level allOf folded in."""
    return flatten(registry().resolved(PAYLOADS[kind].request_schema))


def _spec(family: str) -> dict[str, Any]:
    """A family's overlay file; "common" is the shared fragments."""
    try:
        return overlays()[family]
    except KeyError:
        raise OverlayError(f"no overlay for family {family!r}: schemas/generation/{family}.json") from None


@cache
def _register_formats() -> None:
    """The value strategies, plus placeholders for a tool call that the tools family relinks."""
    catalog = _spec("tools")["catalog"]
    register_formats(
        {
            **FORMATS,
            "tool-name": st.sampled_from([entry["tool"]["function"]["name"] for entry in catalog]),
            "tool-arguments": st.sampled_from(
                [orjson.dumps(entry["arguments"]).decode() for entry in catalog]
            ),
        }
    )


def slot(schema: Schema, overlay: Schema, what: str) -> st.SearchStrategy[Any]:
    """Values of `schema` narrowed by `overlay`; `what` names the slot in errors."""
    return _values(_narrowed(schema, overlay, what))


def _values(schema: Schema) -> st.SearchStrategy[Any]:
    _register_formats()
    return values(schema)


def _narrowed(schema: Schema, overlay: Schema, what: str) -> Schema:
    narrowed = narrow(schema, overlay)
    if narrowed is False:
        raise OverlayError(f"{what}: the overlay rules out every value the schema allows")
    return narrowed


def _tuple(items: list[Schema]) -> Schema:
    return {"type": "array", "prefixItems": items, "items": False, "minItems": len(items)}


def _one_of(branches: list[Schema]) -> Schema:
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


# Each request's schema-drawn parts (its messages and its parameter objects) are one tuple schema,
# drawn by the engine once per request: a draw through the engine has a fixed cost, and one
# Hypothesis choice sequence per request also shrinks the request as a whole.


def _merged(objects: list[Body]) -> Body:
    return {key: value for obj in objects for key, value in obj.items()}


# --- sampling parameters -----------------------------------------------------------------------


def _param_object(kind: str, overlay: Schema) -> Schema:
    """The closed object of the overlay's `properties` (optional unless `required`)."""
    properties = body_schema(kind)["properties"]
    narrowed = {}
    for name, sub in overlay.get("properties", {}).items():
        if name not in properties:
            raise OverlayError(f"parameter {name!r} is not in the {PAYLOADS[kind].request_schema} schema")
        narrowed[name] = _narrowed(properties[name], sub, name)
    return {
        "type": "object",
        "properties": narrowed,
        "required": sorted(overlay.get("required", ())),
        "additionalProperties": False,
    }


def _param_objects(kind: str, overlay: Schema) -> list[Schema]:
    """The parameter objects a request merges: the overlay's `properties`, then one pick from each
    group of alternatives (`anyOf`, and each `anyOf` in `allOf`)."""
    groups = [overlay["anyOf"]] if "anyOf" in overlay else []
    groups += [member["anyOf"] for member in overlay.get("allOf", ())]
    return [_param_object(kind, overlay)] + [
        _one_of([_param_object(kind, choice) for choice in group]) for group in groups
    ]


def params(kind: str, overlay: Schema) -> st.SearchStrategy[Body]:
    """Top-level request parameters drawn from an overlay's `params`."""
    return _values(_tuple(_param_objects(kind, overlay))).map(_merged)


# --- messages ----------------------------------------------------------------------------------


@cache
def _message(name: str) -> Schema:
    """The message union narrowed by common.json's `messages[name]`."""
    item = body_schema("chat")["properties"]["messages"]["items"]
    return _narrowed(item, _spec("common")["messages"][name], f"message {name!r}")


def _conversation(shapes: list[list[str]]) -> Schema:
    """Messages in one of the given orders (lists of message names)."""
    return _one_of([_tuple([_message(name) for name in shape]) for shape in shapes])


# --- families ----------------------------------------------------------------------------------


@cache
def _family_params(family: str) -> st.SearchStrategy[Body]:
    return params(CONTRACT[family].payload, _spec(family)["params"])


@cache
def _family_request(family: str, key: str = "conversations") -> st.SearchStrategy[tuple[list[Body], Body]]:
    """A conversation (one of the overlay's `key` shapes) and the parameters, in one engine draw."""
    spec = _spec(family)
    parts = [_conversation(spec[key]), *_param_objects(CONTRACT[family].payload, spec["params"])]
    return _values(_tuple(parts)).map(lambda drawn: (drawn[0], _merged(drawn[1:])))


def _chat_like(family: str) -> st.SearchStrategy[Body]:
    return _family_request(family).map(lambda parts: {"messages": parts[0], **parts[1]})


def _completions() -> st.SearchStrategy[Body]:
    return _family_params("completions")


@st.composite
def _embeddings(draw: st.DrawFn) -> Body:
    body = draw(_family_params("embeddings"))
    inputs = body["input"]
    # A list of inputs (not a single token array) sometimes repeats its first input: the two
    # embeddings must then be equal.
    if (
        isinstance(inputs, list)
        and not isinstance(inputs[0], int)
        and len(inputs) < 4
        and draw(st.booleans())
    ):
        body["input"] = [*inputs, copy.deepcopy(inputs[0])]
    return body


@cache
def _tool_catalog() -> list[dict[str, Any]]:
    catalog = _spec("tools")["catalog"]
    tool_schema = body_schema("chat")["properties"]["tools"]["items"]
    for entry in catalog:
        _check(tool_schema, entry["tool"], f"tools catalog {entry['tool']['function']['name']}")
        _check(entry["tool"]["function"]["parameters"], entry["arguments"], "its example arguments")
    return catalog


@st.composite
def _tools(draw: st.DrawFn) -> Body:
    declared = draw(
        st.lists(
            st.sampled_from(_tool_catalog()),
            min_size=1,
            max_size=3,
            unique_by=_tool_name,
        )
    )
    focus = draw(st.sampled_from(declared))  # the tool the conversation is about
    messages, knobs = draw(_family_request("tools"))
    call_id = None
    for msg in messages:
        if msg["role"] == "user":
            msg["content"] = draw(st.sampled_from(focus["prompts"]))
        elif msg["role"] == "assistant":
            call = msg["tool_calls"][0]
            call["function"]["name"] = focus["tool"]["function"]["name"]
            call["function"]["arguments"] = orjson.dumps(focus["arguments"]).decode()
            call_id = call["id"]
        elif msg["role"] == "tool":
            msg["tool_call_id"] = call_id
            msg["content"] = focus["result"]
    body = {"messages": messages, "tools": [copy.deepcopy(entry["tool"]) for entry in declared], **knobs}
    choice = body.get("tool_choice")
    if isinstance(choice, dict):  # a named choice must name a declared tool
        choice["function"]["name"] = draw(st.sampled_from([e["tool"]["function"]["name"] for e in declared]))
    return body


@cache
def _structured_catalog() -> list[dict[str, Any]]:
    catalog = _spec("structured")["catalog"]
    schema = body_schema("chat")["properties"]["response_format"]
    for entry in catalog:
        _check(schema, entry["response_format"], "structured catalog entry")
    return catalog


@cache
def _json_object_format() -> st.SearchStrategy[Body]:
    schema = body_schema("chat")["properties"]["response_format"]
    return slot(schema, _spec("structured")["json_object"], "json_object response_format")


@st.composite
def _structured(draw: st.DrawFn) -> Body:
    entry = draw(st.sampled_from(_structured_catalog()))
    if draw(st.booleans()):
        response_format = copy.deepcopy(entry["response_format"])
        messages, knobs = draw(_family_request("structured"))
    else:
        response_format = draw(_json_object_format())
        messages, knobs = draw(_family_request("structured", "json_object_conversations"))
    messages[-1]["content"] = draw(st.sampled_from(entry["prompts"]))  # a prompt the format fits
    return {"messages": messages, "response_format": response_format, **knobs}


@st.composite
def _responses(draw: st.DrawFn) -> Body:
    """A Responses request; a third get function tools (the tools catalog, in the Responses form, a
    prompt about one of them, tool_choice sometimes required), a third a text.format (the structured
    catalog's json_schema, or json_object) and a prompt it fits."""
    body = draw(_family_params("responses"))
    extra = draw(st.sampled_from(["plain", "tools", "format"]))
    if extra == "tools":
        declared = draw(
            st.lists(st.sampled_from(_tool_catalog()), min_size=1, max_size=3, unique_by=_tool_name)
        )
        focus = draw(st.sampled_from(declared))
        body["input"] = draw(st.sampled_from(focus["prompts"]))
        body["tools"] = [
            {"type": "function", **copy.deepcopy(entry["tool"]["function"])} for entry in declared
        ]
        if draw(st.booleans()):
            body["tool_choice"] = draw(st.sampled_from(["auto", "required"]))
    elif extra == "format":
        entry = draw(st.sampled_from(_structured_catalog()))
        body["input"] = draw(st.sampled_from(entry["prompts"]))
        if draw(st.booleans()):
            spec = entry["response_format"]["json_schema"]
            body["text"] = {"format": {"type": "json_schema", **copy.deepcopy(spec)}}
        else:
            body["text"] = {"format": {"type": "json_object"}}
            body["instructions"] = "Answer in JSON."
        body["max_output_tokens"] = draw(st.integers(min_value=256, max_value=512))  # room for the JSON
    return body


def _tool_name(entry: dict[str, Any]) -> str:
    return entry["tool"]["function"]["name"]


def _check(schema: dict[str, Any], value: Any, what: str) -> None:
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(value)]
    if errors:
        raise OverlayError(f"{what} does not fit its schema: {'; '.join(errors)}")


_BUILDERS = {
    "chat": lambda: _chat_like("chat"),
    "stream": lambda: _chat_like("stream"),
    "completions": _completions,
    "embeddings": _embeddings,
    "vision": lambda: _chat_like("vision"),
    "tools": _tools,
    "structured": _structured,
    "reasoning": lambda: _chat_like("reasoning"),
    "responses": _responses,
}


@cache
def bodies(family: str) -> st.SearchStrategy[Body]:
    """Request bodies (without `model`) for one valid family."""
    if family not in _BUILDERS:
        raise ValueError(f"no valid requests for family {family!r}; families: {', '.join(_BUILDERS)}")
    return _BUILDERS[family]()


def valid_cases(family: str, model: str) -> st.SearchStrategy[Case]:
    """Valid requests of one family ("chat", "stream", ...; not "errors") for `model`."""
    strategy = bodies(family)
    kind = CONTRACT[family].payload
    return strategy.map(lambda body: Case(family=family, kind=kind, body={"model": model, **body}))
