"""Strategies for valid requests, one per payload family.

Every value is drawn from the request schema narrowed by the family's overlay
(schemas/generation/<family>.json, intersected by narrow.py): the sampling parameters from the
body's properties, each message from the message union. Python only puts the pieces together and
ties what a schema cannot: which tool the prompt, the earlier tool call and a named tool_choice
refer to, a prompt that fits the structured-output schema, a repeated embeddings input.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from typing import Any

import jsonschema
import orjson
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from harness.families import CONTRACT, PAYLOADS
from harness.generate.cases import Case
from harness.generate.narrow import OverlayError, flatten, narrow
from harness.generate.overlays import overlays
from harness.generate.values import FORMATS
from harness.schemas.registry import registry

Body = dict[str, Any]


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
def _formats() -> dict[str, st.SearchStrategy[str]]:
    """The value strategies, plus placeholders for a tool call that the tools family relinks."""
    catalog = _spec("tools")["catalog"]
    return {
        **FORMATS,
        "tool-name": st.sampled_from([entry["tool"]["function"]["name"] for entry in catalog]),
        "tool-arguments": st.sampled_from([orjson.dumps(entry["arguments"]).decode() for entry in catalog]),
    }


def slot(schema: dict[str, Any], overlay: dict[str, Any], what: str) -> st.SearchStrategy[Any]:
    """Values of `schema` narrowed by `overlay`; `what` names the slot in errors."""
    narrowed = narrow(schema, overlay)
    if narrowed is False:
        raise OverlayError(f"{what}: the overlay rules out every value the schema allows")
    return _strategy(narrowed)


_CLOSED_OBJECT_KEYS = {"type", "properties", "required", "additionalProperties"}


def _strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """from_schema, except that unions, closed objects and tuples are built from standard
    combinators: hypothesis-jsonschema re-canonicalises an object's property schemas on every
    draw, which made nested messages ~50 ms each."""
    if set(schema) == {"anyOf"}:
        return st.one_of([_strategy(branch) for branch in schema["anyOf"]])
    closed = schema.get("additionalProperties") is False and schema.get("type", "object") == "object"
    if closed and set(schema) <= _CLOSED_OBJECT_KEYS:
        fields = {name: _strategy(sub) for name, sub in schema.get("properties", {}).items()}
        return _object(fields, schema.get("required", ()))
    items = schema.get("items")
    if isinstance(items, list) and schema.get("minItems") == schema.get("maxItems") == len(items):
        return st.tuples(*[_strategy(item) for item in items]).map(list)
    return from_schema(schema, custom_formats=_formats())


def _object(
    strategies: dict[str, st.SearchStrategy[Any]], required: Iterable[str]
) -> st.SearchStrategy[Body]:
    """Objects with the `required` keys always present and the other keys of `strategies` optional."""
    always = set(required)
    return st.fixed_dictionaries(
        {name: s for name, s in strategies.items() if name in always},
        optional={name: s for name, s in strategies.items() if name not in always},
    )


# --- sampling parameters -----------------------------------------------------------------------


def _param_dict(kind: str, overlay: dict[str, Any]) -> st.SearchStrategy[Body]:
    properties = body_schema(kind)["properties"]
    strategies = {}
    for name, sub in overlay.get("properties", {}).items():
        if name not in properties:
            raise OverlayError(f"parameter {name!r} is not in the {PAYLOADS[kind].request_schema} schema")
        strategies[name] = slot(properties[name], sub, name)
    return _object(strategies, overlay.get("required", ()))


def params(kind: str, overlay: dict[str, Any]) -> st.SearchStrategy[Body]:
    """Top-level request parameters: `properties` (optional unless `required`), plus one pick
    from each group of alternatives (`anyOf`, and each `anyOf` in `allOf`)."""
    groups = [overlay["anyOf"]] if "anyOf" in overlay else []
    groups += [member["anyOf"] for member in overlay.get("allOf", ())]
    parts = [_param_dict(kind, overlay)]
    parts += [st.one_of([_param_dict(kind, choice) for choice in group]) for group in groups]
    return st.tuples(*parts).map(lambda dicts: {k: v for d in dicts for k, v in d.items()})


# --- messages ----------------------------------------------------------------------------------


@cache
def _message(name: str) -> st.SearchStrategy[Body]:
    """One message drawn from the message union narrowed by common.json's `messages[name]`."""
    item = body_schema("chat")["properties"]["messages"]["items"]
    return slot(item, _spec("common")["messages"][name], f"message {name!r}")


def _conversation(shapes: list[list[str]]) -> st.SearchStrategy[list[Body]]:
    """Messages in one of the given orders (lists of message names)."""
    return st.one_of([st.tuples(*[_message(name) for name in shape]).map(list) for shape in shapes])


# --- families ----------------------------------------------------------------------------------


@cache
def _family_params(family: str) -> st.SearchStrategy[Body]:
    return params(CONTRACT[family].payload, _spec(family)["params"])


@cache
def _family_conversation(family: str, key: str = "conversations") -> st.SearchStrategy[list[Body]]:
    return _conversation(_spec(family)[key])


def _chat_like(family: str) -> st.SearchStrategy[Body]:
    return st.builds(
        lambda messages, knobs: {"messages": messages, **knobs},
        _family_conversation(family),
        _family_params(family),
    )


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
            unique_by=lambda entry: entry["tool"]["function"]["name"],
        )
    )
    focus = draw(st.sampled_from(declared))  # the tool the conversation is about
    messages = draw(_family_conversation("tools"))
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
    body = {"messages": messages, "tools": [copy.deepcopy(entry["tool"]) for entry in declared]}
    body.update(draw(_family_params("tools")))
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
        messages = draw(_family_conversation("structured"))
    else:
        response_format = draw(_json_object_format())
        messages = draw(_family_conversation("structured", "json_object_conversations"))
    messages[-1]["content"] = draw(st.sampled_from(entry["prompts"]))  # a prompt the format fits
    return {"messages": messages, "response_format": response_format, **draw(_family_params("structured"))}


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
