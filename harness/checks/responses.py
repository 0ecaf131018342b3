"""The Responses API: what its answers and its typed event streams must honour beyond their schemas.

A stream is judged as the openai SDK's ResponseStreamManager reads it: numbered events in order,
response.created first and one final event (completed, incomplete or failed) last, every item added
before its deltas and done before the end; what the deltas add up to is what the .done events and
the final response say. An answer is judged as a client uses it: usage that adds up, a status that
says why output stopped, function calls of declared tools with valid arguments, the JSON asked for.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.checks.base import CheckFailed, check
from harness.checks.views import (
    answered,
    chunks,
    completion,
    event_path,
    from_stream,
    integer,
    request_body,
    shorten,
    streamed,
    user_schema_problem,
)
from harness.families.responses import ANNOUNCED, FINAL
from harness.wire.exchange import Exchange

# Each kind of delta event: the .done event that holds what its deltas add up to, and in which field.
DELTAS = {
    "response.output_text.delta": ("response.output_text.done", "text"),
    "response.function_call_arguments.delta": ("response.function_call_arguments.done", "arguments"),
    "response.reasoning_summary_text.delta": ("response.reasoning_summary_text.done", "text"),
}


def _responses(ex: Exchange) -> bool:
    return ex.family == "responses" and answered(ex)


def _answer(ex: Exchange) -> dict[str, Any]:
    doc = completion(ex) if _responses(ex) else None
    return doc if isinstance(doc, dict) else {}


def _output(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    items = doc.get("output")
    return [
        (i, item) for i, item in enumerate(items if isinstance(items, list) else []) if isinstance(item, dict)
    ]


def _events(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    return [(i, event) for i, event in chunks(ex) if isinstance(event.get("type"), str)]


@check(
    "responses.events",
    "stream events are numbered in increasing order, open with response.created, end with one final"
    " event, and add each output item before its deltas and finish it before the end",
    applies=lambda ex: _responses(ex) and streamed(ex),
    level="spec",
    why=(
        "The Responses stream is a sequence of typed events: sequence_number orders them, response.created"
        " opens it, response.completed (or .incomplete/.failed) closes it, and an item's deltas come"
        " between its output_item.added and .done."
    ),
    breaks="the openai SDK's responses.stream() (it keys its snapshot on these events), agent frameworks",
)
def events(ex: Exchange) -> None:
    found = _events(ex)
    if not found:
        raise CheckFailed("expected typed events, got none")
    last_number = None
    for i, event in found:
        number = integer(event.get("sequence_number"))
        if number is not None and last_number is not None and number <= last_number:
            raise CheckFailed(
                f"expected sequence_number to increase, got {number} after {last_number}",
                event_path(i, "$.sequence_number"),
            )
        last_number = number if number is not None else last_number
    first_at, first = found[0]
    if first["type"] != "response.created":
        raise CheckFailed(
            f"expected response.created first, got {first['type']!r}", event_path(first_at, "$.type")
        )
    final_at = next((k for k, (_, event) in enumerate(found) if event["type"] in FINAL), None)
    if final_at is None:
        raise CheckFailed(f"expected a final event ({', '.join(FINAL)}), got none")
    if final_at != len(found) - 1:
        at, final = found[final_at]
        raise CheckFailed(
            f"expected {final['type']} to be the last event, got {len(found) - 1 - final_at} event(s)"
            " after it",
            event_path(at),
        )
    _items_in_order(found)


def _items_in_order(found: list[tuple[int, dict[str, Any]]]) -> None:
    open_items: set[int] = set()
    finished: set[int] = set()
    for i, event in found:
        kind, index = event["type"], integer(event.get("output_index"))
        if index is None or kind in FINAL or kind in ANNOUNCED:
            continue
        if kind == "response.output_item.added":
            if index in open_items or index in finished:
                raise CheckFailed(
                    f"expected output item {index} to be added once, got it again", event_path(i)
                )
            open_items.add(index)
        elif index not in open_items:
            state = "after its output_item.done" if index in finished else "before its output_item.added"
            raise CheckFailed(
                f"expected {kind} for output item {index} while it is open, got it {state}", event_path(i)
            )
        elif kind == "response.output_item.done":
            open_items.discard(index)
            finished.add(index)
    if open_items:
        raise CheckFailed(
            f"expected output item {min(open_items)} to be done before the end, got no output_item.done"
        )


def _delta_key(kind: str, event: dict[str, Any]) -> tuple[str, int | None, int | None, int | None]:
    """Which text a delta (or a .done event) belongs to: its kind, item, content part and summary."""
    return kind, *(integer(event.get(k)) for k in ("output_index", "content_index", "summary_index"))


@check(
    "responses.stream_consistent",
    "a stream's deltas add up to what its .done events and its final response say",
    applies=lambda ex: _responses(ex) and streamed(ex),
    level="compat",
    why=(
        "What a streaming client shows (the deltas) must be what the .done events and the final response"
        " hold: clients show one and store the other."
    ),
    breaks="chat UIs that render deltas but save the final response; the SDK's get_final_response()",
)
def stream_consistent(ex: Exchange) -> None:
    found = _events(ex)
    added: dict[tuple[str, int | None, int | None, int | None], list[str]] = {}
    for _, event in found:
        if event["type"] in DELTAS and isinstance(event.get("delta"), str):
            added.setdefault(_delta_key(event["type"], event), []).append(event["delta"])
    joined = {key: "".join(parts) for key, parts in added.items()}  # once: a long stream has many
    for i, event in found:
        for delta_type, (done_type, field) in DELTAS.items():
            if event["type"] != done_type:
                continue
            key = _delta_key(delta_type, event)
            if key in joined and event.get(field) != joined[key]:
                raise CheckFailed(
                    f"expected {field} {shorten(joined[key])!r} (the deltas joined), got"
                    f" {shorten(str(event.get(field)))!r}",
                    event_path(i, f"$.{field}"),
                )
    final = next(
        (
            e["response"]
            for _, e in reversed(found)
            if e["type"] in FINAL and isinstance(e.get("response"), dict)
        ),
        None,
    )
    if final is None:
        return  # responses.events reports the missing final event
    done = {
        integer(e.get("output_index")): (i, e.get("item"))
        for i, e in found
        if e["type"] == "response.output_item.done"
    }
    for index, item in _output(final):
        if index in done and done[index][1] != item:
            raise CheckFailed(
                f"expected output[{index}] of the final response to be the item output_item.done gave, got a"
                " different one",
                event_path(done[index][0], "$.item"),
            )
    if len(_output(final)) != len(done):
        raise CheckFailed(
            f"expected {len(done)} output item(s) in the final response, got {len(_output(final))}"
        )


@check(
    "responses.usage",
    "usage adds up: total_tokens = input_tokens + output_tokens, reasoning tokens within output tokens,"
    " output tokens within max_output_tokens",
    applies=lambda ex: isinstance(_answer(ex).get("usage"), dict),
    level="compat",
    why="Billing and budgets read usage: its parts must add up and respect the cap the request set.",
    breaks="cost tracking in LiteLLM, LangChain callbacks and gateways; budget enforcement",
)
def usage(ex: Exchange) -> None:
    counts = _answer(ex)["usage"]
    given, made, total = (integer(counts.get(k)) for k in ("input_tokens", "output_tokens", "total_tokens"))
    if None not in (given, made, total) and given + made != total:
        raise CheckFailed(
            f"expected total_tokens = input_tokens + output_tokens = {given} + {made} = {given + made}, got"
            f" {total}{from_stream(ex)}",
            "$.usage.total_tokens",
        )
    details = counts.get("output_tokens_details")
    reasoning = integer(details.get("reasoning_tokens")) if isinstance(details, dict) else None
    if reasoning is not None and made is not None and not 0 <= reasoning <= made:
        raise CheckFailed(
            f"expected 0 <= reasoning_tokens <= output_tokens ({made}), got {reasoning}{from_stream(ex)}",
            "$.usage.output_tokens_details.reasoning_tokens",
        )
    cap = integer(request_body(ex).get("max_output_tokens"))
    if cap is not None and made is not None and made > cap:
        raise CheckFailed(
            f"expected at most max_output_tokens = {cap} output tokens, got {made}{from_stream(ex)}",
            "$.usage.output_tokens",
        )


@check(
    "responses.status",
    "a response cut by max_output_tokens says so (status incomplete, incomplete_details.reason); one"
    " that is complete says completed",
    applies=lambda ex: _answer(ex).get("status") in ("completed", "incomplete"),
    level="compat",
    why="status and incomplete_details are how a client knows whether the output is whole.",
    breaks="agents that act on a truncated function call or answer as if it were complete",
)
def status(ex: Exchange) -> None:
    doc = _answer(ex)
    details, counts = doc.get("incomplete_details"), doc.get("usage")
    reason = details.get("reason") if isinstance(details, dict) else None
    made = integer(counts.get("output_tokens")) if isinstance(counts, dict) else None
    cap = integer(request_body(ex).get("max_output_tokens"))
    if doc["status"] == "incomplete":
        if not reason:
            raise CheckFailed(
                f"expected incomplete_details.reason for an incomplete response, got none{from_stream(ex)}",
                "$.incomplete_details",
            )
    elif reason:
        raise CheckFailed(
            f"expected no incomplete_details for a completed response, got reason {reason!r}"
            f"{from_stream(ex)}",
            "$.incomplete_details",
        )
    elif cap is not None and made is not None and made > cap:
        raise CheckFailed(
            f"expected status incomplete ({made} output tokens past max_output_tokens {cap}), got"
            f" completed{from_stream(ex)}",
            "$.status",
        )


def _tools(ex: Exchange) -> dict[str, Any]:
    """Declared function tools: name -> parameters schema."""
    tools = request_body(ex).get("tools")
    declared = {}
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("name"), str):
            declared[tool["name"]] = tool.get("parameters") or {"type": "object"}
    return declared


def _calls(ex: Exchange) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in _output(_answer(ex)) if item.get("type") == "function_call"]


def _forced(ex: Exchange) -> str | None:
    """The function a request forces: a name, "*" for any (required), None when the model may answer."""
    choice = request_body(ex).get("tool_choice")
    if choice == "required":
        return "*"
    if isinstance(choice, dict) and choice.get("type") == "function":
        return choice.get("name")
    return None


@check(
    "responses.function_call",
    "function calls name a declared tool and carry arguments valid against its parameters; a required or"
    " named tool_choice is honoured",
    applies=lambda ex: (
        _answer(ex).get("status") == "completed"
        and bool(_tools(ex))
        and (bool(_calls(ex)) or _forced(ex) is not None)
    ),
    level="compat",
    why="An agent runs the function the call names with the arguments it carries.",
    breaks="the openai Agents SDK, LangChain tool calling, any function-calling loop",
)
def function_call(ex: Exchange) -> None:
    declared = _tools(ex)
    calls = _calls(ex)
    forced = _forced(ex)
    if forced is not None and not any(item.get("name") == forced or forced == "*" for _, item in calls):
        wanted = "a function call" if forced == "*" else f"a call of {forced!r}"
        raise CheckFailed(
            f"expected {wanted} (tool_choice), got output types"
            f" {[item.get('type') for _, item in _output(_answer(ex))]}{from_stream(ex)}",
            "$.output",
        )
    for position, item in calls:
        name = item.get("name")
        path = f"$.output[{position}]"
        if not isinstance(name, str) or name not in declared:
            raise CheckFailed(
                f"expected a call of a declared tool ({', '.join(sorted(declared))}), got {name!r}"
                f"{from_stream(ex)}",
                f"{path}.name",
            )
        try:
            arguments = orjson.loads(item.get("arguments") or "")
        except (orjson.JSONDecodeError, TypeError):
            raise CheckFailed(
                f"expected JSON arguments, got {shorten(str(item.get('arguments')))!r}{from_stream(ex)}",
                f"{path}.arguments",
            ) from None
        problem = user_schema_problem(declared[name], arguments)
        if problem:
            raise CheckFailed(
                f"expected arguments valid against {name}'s parameters, got {problem}{from_stream(ex)}",
                f"{path}.arguments",
            )


def _format(ex: Exchange) -> dict[str, Any]:
    text = request_body(ex).get("text")
    form = text.get("format") if isinstance(text, dict) else None
    return form if isinstance(form, dict) else {}


def _texts(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for i, item in _output(doc):
        if item.get("type") != "message" or not isinstance(item.get("content"), list):
            continue
        for j, part in enumerate(item["content"]):
            if isinstance(part, dict) and part.get("type") == "output_text":
                found.append((f"$.output[{i}].content[{j}].text", part.get("text")))
    return found


@check(
    "responses.structured",
    "with text.format json_schema (or json_object), the output text is that JSON",
    applies=lambda ex: (
        _format(ex).get("type") in ("json_schema", "json_object")
        and _answer(ex).get("status") == "completed"
        and bool(_texts(_answer(ex)))
    ),
    level="compat",
    why="Structured outputs promise text that parses and validates against the schema asked for.",
    breaks="the openai SDK's responses.parse() (output_parsed), pipelines that json.loads the answer",
)
def structured(ex: Exchange) -> None:
    form = _format(ex)
    for path, text in _texts(_answer(ex)):
        try:
            value = orjson.loads(text if isinstance(text, str) else "")
        except orjson.JSONDecodeError:
            raise CheckFailed(
                f"expected JSON output text, got {shorten(str(text))!r}{from_stream(ex)}", path
            ) from None
        if form.get("type") == "json_object" and not isinstance(value, dict):
            raise CheckFailed(f"expected a JSON object, got {type(value).__name__}{from_stream(ex)}", path)
        schema = form.get("schema")
        problem = user_schema_problem(schema, value) if isinstance(schema, dict) else None
        if problem:
            raise CheckFailed(
                f"expected output valid against the json_schema {form.get('name')!r}, got {problem}"
                f"{from_stream(ex)}",
                path,
            )
