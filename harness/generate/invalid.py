"""Invalid requests: valid generated requests with exactly one thing broken.

Each mutation copies a valid case's body, breaks one field and says what in the case's `note`.
All but the `semantic` ones break the request schema (the generator tests check that); the
semantic ones are wrong in a way only the server can see (a tool_choice naming an undeclared
function, image bytes that do not decode).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from harness.generate.cases import Case
from harness.generate.valid import body_schema, valid_cases
from harness.images import data_uri, png_bytes

Body = dict[str, Any]
# Breaks `body` in place, drawing what it needs; returns the note.
Mutation = Callable[[st.DrawFn, Body], str]

_UNKNOWN_ROLES = ("wizard", "bot", "moderator", "narrator")
_UNDECLARED_TOOLS = ("delete_account", "launch_rocket", "transfer_funds")
_UNKNOWN_FORMATS = ("xml", "yaml", "markdown")


def _mutated(
    base: st.SearchStrategy[Case], mutate: Mutation, *, family: str = "errors", semantic: bool = False
) -> st.SearchStrategy[Case]:
    @st.composite
    def build(draw: st.DrawFn) -> Case:
        case = draw(base)
        body = copy.deepcopy(case.body)
        note = mutate(draw, body)
        return Case(family, case.kind, body, expect="client_error", note=note, semantic=semantic)

    return build()


def _out_of_range(kind: str, name: str) -> st.SearchStrategy[float]:
    """A number just outside the schema's bounds for a parameter (from the schema, not restated)."""
    schema = body_schema(kind)["properties"][name]
    low, high = schema["minimum"], schema["maximum"]
    return st.one_of(
        st.floats(high + 0.01, high + 8).map(lambda v: round(v, 2)),
        st.floats(low - 8, low - 0.01).map(lambda v: round(v, 2)),
    )


# --- chat mutations ----------------------------------------------------------------------------


def _messages_as_string(draw: st.DrawFn, body: Body) -> str:
    body["messages"] = "Hello, how are you?"
    return "messages is a string, not a list"


def _max_tokens_as_string(draw: st.DrawFn, body: Body) -> str:
    body.pop("max_completion_tokens", None)
    body["max_tokens"] = str(draw(st.integers(1, 32)))
    return f"max_tokens is a string ({body['max_tokens']!r})"


def _n_as_float(draw: st.DrawFn, body: Body) -> str:
    body["n"] = draw(st.sampled_from((1.5, 2.5, 0.5, 1.25)))
    return f"n is a float ({body['n']})"


def _temperature_out_of_range(draw: st.DrawFn, body: Body) -> str:
    body["temperature"] = draw(_out_of_range("chat", "temperature"))
    return f"temperature out of range ({body['temperature']})"


def _top_p_out_of_range(draw: st.DrawFn, body: Body) -> str:
    body["top_p"] = draw(_out_of_range("chat", "top_p"))
    return f"top_p out of range ({body['top_p']})"


def _missing_messages(draw: st.DrawFn, body: Body) -> str:
    del body["messages"]
    return "messages missing"


def _unknown_role(draw: st.DrawFn, body: Body) -> str:
    index = draw(st.integers(0, len(body["messages"]) - 1))
    role = body["messages"][index]["role"] = draw(st.sampled_from(_UNKNOWN_ROLES))
    return f"unknown role {role!r} in messages[{index}]"


def _n_zero(draw: st.DrawFn, body: Body) -> str:
    body["n"] = 0
    return "n is 0"


def _negative_max_tokens(draw: st.DrawFn, body: Body) -> str:
    body.pop("max_completion_tokens", None)
    body["max_tokens"] = draw(st.integers(-100, -1))
    return f"negative max_tokens ({body['max_tokens']})"


# --- tools and response_format mutations -------------------------------------------------------


def _tool_without_name(draw: st.DrawFn, body: Body) -> str:
    index = draw(st.integers(0, len(body["tools"]) - 1))
    del body["tools"][index]["function"]["name"]
    return f"tools[{index}].function has no name"


def _parameters_not_object(draw: st.DrawFn, body: Body) -> str:
    index = draw(st.integers(0, len(body["tools"]) - 1))
    value = draw(st.sampled_from(("object", ["city", "unit"], 42, True)))
    body["tools"][index]["function"]["parameters"] = value
    return f"tools[{index}].function.parameters is not an object ({value!r})"


def _undeclared_tool_choice(draw: st.DrawFn, body: Body) -> str:
    name = draw(st.sampled_from(_UNDECLARED_TOOLS))
    body["tool_choice"] = {"type": "function", "function": {"name": name}}
    return f"tool_choice names an undeclared function ({name!r})"


def _unknown_response_format(draw: st.DrawFn, body: Body) -> str:
    kind = draw(st.sampled_from(_UNKNOWN_FORMATS))
    body["response_format"] = {"type": kind}
    return f"response_format of unknown type {kind!r}"


def _json_schema_without_name(draw: st.DrawFn, body: Body) -> str:
    response_format = body["response_format"]
    if response_format["type"] == "json_schema":
        del response_format["json_schema"]["name"]
    else:
        body["response_format"] = {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}
    return "response_format json_schema without a name"


def _json_schema_without_body(draw: st.DrawFn, body: Body) -> str:
    body["response_format"] = {"type": "json_schema"}
    return "response_format json_schema without its json_schema object"


UNKNOWN_MODEL = "servecheck-no-such-model"
UNKNOWN_MODEL_NOTE = f"an unknown model ({UNKNOWN_MODEL!r})"


def _unknown_model(draw: st.DrawFn, body: Body) -> str:
    body["model"] = UNKNOWN_MODEL  # on Databricks' native route the path names it (contract/engine.py)
    return UNKNOWN_MODEL_NOTE


# --- embeddings mutations ----------------------------------------------------------------------


def _empty_input_string(draw: st.DrawFn, body: Body) -> str:
    body["input"] = ""
    return "empty embeddings input ('')"


def _empty_input_list(draw: st.DrawFn, body: Body) -> str:
    body["input"] = []
    return "empty embeddings input ([])"


# Which valid family each mutation breaks, the mutation, and whether only a server can tell.
MUTATIONS: tuple[tuple[str, Mutation, bool], ...] = (
    ("chat", _messages_as_string, False),
    ("chat", _max_tokens_as_string, False),
    ("chat", _n_as_float, False),
    ("chat", _temperature_out_of_range, False),
    ("chat", _top_p_out_of_range, False),
    ("chat", _missing_messages, False),
    ("chat", _unknown_role, False),
    ("chat", _n_zero, False),
    ("chat", _negative_max_tokens, False),
    ("chat", _unknown_model, True),
    ("tools", _tool_without_name, False),
    ("tools", _parameters_not_object, False),
    ("tools", _undeclared_tool_choice, True),
    ("structured", _unknown_response_format, False),
    ("structured", _json_schema_without_name, False),
    ("structured", _json_schema_without_body, False),
    ("embeddings", _empty_input_string, False),
    ("embeddings", _empty_input_list, False),
)


def invalid_mutations(model: str, embedding_model: str | None = None) -> list[st.SearchStrategy[Case]]:
    """The "errors" family, one strategy per mutation: each case breaks one thing and should get a 4xx.

    Embeddings mutations are included only when an embedding model is given.
    """
    models = {"chat": model, "tools": model, "structured": model, "embeddings": embedding_model}
    return [
        _mutated(valid_cases(family, models[family]), mutate, semantic=semantic)
        for family, mutate, semantic in MUTATIONS
        if models[family] is not None
    ]


def invalid_cases(model: str, embedding_model: str | None = None) -> st.SearchStrategy[Case]:
    """Any of `invalid_mutations`; sampled_from spreads draws over them more evenly than one_of."""
    return st.sampled_from(invalid_mutations(model, embedding_model)).flatmap(lambda mutation: mutation)


# --- malformed images --------------------------------------------------------------------------

_NOT_AN_IMAGE = b"this is plain text, not an image"
_TRUNCATED_PNG = png_bytes(8, 8, bytes(range(192)))[:40]  # signature and IHDR, then cut off


def _image_mutation(url: str, note: str) -> Mutation:
    def mutate(draw: st.DrawFn, body: Body) -> str:
        for message in body["messages"]:
            if isinstance(message["content"], list):
                for part in message["content"]:
                    if part["type"] == "image_url":
                        part["image_url"]["url"] = url
                        return note
        raise AssertionError("a vision case has an image part")  # the vision overlay guarantees one

    return mutate


# Replacement image URLs, what is wrong with each, and whether only a server can tell: malformed
# URIs break the schema's pattern; well-formed URIs of bytes that are no image need decoding.
BAD_IMAGES: tuple[tuple[str, str, bool], ...] = (
    ("data:image/png;base64,@@not*base64@@", "image data URI whose payload is not base64", False),
    (data_uri("image/bmp", b"BM" + bytes(60)), "image data URI of unsupported type image/bmp", False),
    (data_uri("image/png", _TRUNCATED_PNG).replace(";base64", ""), "image data URI without ;base64", False),
    (data_uri("image/png", _NOT_AN_IMAGE), "image/png data URI of bytes that are not an image", True),
    (data_uri("image/png", _TRUNCATED_PNG), "truncated PNG (cut after its header)", True),
)


def bad_image_mutations(model: str) -> list[st.SearchStrategy[Case]]:
    """Vision requests (family "vision") whose first image is malformed, one strategy per defect."""
    vision = valid_cases("vision", model)
    return [
        _mutated(vision, _image_mutation(url, note), family="vision", semantic=semantic)
        for url, note, semantic in BAD_IMAGES
    ]


def bad_image_cases(model: str) -> st.SearchStrategy[Case]:
    """Any of `bad_image_mutations`; expect a 4xx."""
    return st.sampled_from(bad_image_mutations(model)).flatmap(lambda mutation: mutation)
