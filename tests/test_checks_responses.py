"""The Responses API checks: each passes a well-formed answer or stream and fails a broken one."""

from __future__ import annotations

import copy

from payloads import (
    RESPONSES_TOOL,
    exchange,
    fails,
    function_call_item,
    message_item,
    passes,
    responses_events,
    responses_request,
    responses_response,
    responses_stream,
    skips,
)

PLAIN = responses_response()
CUT = responses_response(message_item("Once upon a", "incomplete"), status="incomplete", tokens=(12, 32))
CALLED = responses_response(function_call_item())
TOOLS = responses_request(tools=[RESPONSES_TOOL])


def answered(response: dict, request: dict | None = None):
    return exchange("responses", request or responses_request(), response)


def streamed(response: dict, request: dict | None = None, edit=None):
    found = responses_events(response)
    if edit:
        edit(found)
    return responses_stream(request or responses_request(), found)


def test_well_formed_answers_and_streams_pass() -> None:
    for response in (PLAIN, CUT):
        passes("responses.usage", answered(response))
        passes("responses.status", answered(response))
        passes("responses.events", streamed(response))
        passes("responses.stream_consistent", streamed(response))
    passes("responses.function_call", answered(CALLED, TOOLS))
    passes("responses.events", streamed(CALLED, TOOLS))
    passes("responses.stream_consistent", streamed(CALLED, TOOLS))


def test_events_must_be_numbered_in_order() -> None:
    def repeat(found: list) -> None:
        found[3]["sequence_number"] = found[2]["sequence_number"]

    failure = fails(
        "responses.events", streamed(PLAIN, edit=repeat), "sequence_number to increase, got 2 after 2"
    )
    assert failure.path == "events[3].sequence_number"


def test_the_stream_opens_with_created_and_ends_with_one_final_event() -> None:
    fails("responses.events", streamed(PLAIN, edit=lambda f: f.pop(0)), "expected response.created first")
    fails("responses.events", streamed(PLAIN, edit=lambda f: f.pop()), "expected a final event")

    def late(found: list) -> None:
        found.append({**found[-3], "sequence_number": 99})

    fails(
        "responses.events",
        streamed(PLAIN, edit=late),
        "response.completed to be the last event, got 1 event(s)",
    )


def test_items_are_added_before_their_deltas_and_done_before_the_end() -> None:
    def early(found: list) -> None:
        found.insert(2, {**found[4], "sequence_number": 1})  # a delta before its item was added
        for n, event in enumerate(found):
            event["sequence_number"] = n

    fails(
        "responses.events",
        streamed(PLAIN, edit=early),
        "while it is open, got it before its output_item.added",
    )

    def never_done(found: list) -> None:
        del found[-2]

    fails("responses.events", streamed(PLAIN, edit=never_done), "output item 0 to be done before the end")


def test_deltas_must_add_up_to_the_done_events_and_the_final_response() -> None:
    def other_text(found: list) -> None:
        next(e for e in found if e["type"] == "response.output_text.done")["text"] = "Goodbye"

    fails("responses.stream_consistent", streamed(PLAIN, edit=other_text), "the deltas joined", "'Goodbye'")

    def other_final(found: list) -> None:
        found[-1]["response"] = copy.deepcopy(found[-1]["response"])
        found[-1]["response"]["output"][0]["content"][0]["text"] = "Different"

    fails("responses.stream_consistent", streamed(PLAIN, edit=other_final), "the item output_item.done gave")

    def other_arguments(found: list) -> None:
        next(e for e in found if e["type"] == "response.function_call_arguments.delta")["delta"] = "{"

    fails("responses.stream_consistent", streamed(CALLED, TOOLS, edit=other_arguments), "arguments")


def test_usage_must_add_up_and_respect_the_cap() -> None:
    wrong = copy.deepcopy(PLAIN)
    wrong["usage"]["total_tokens"] += 1
    failure = fails("responses.usage", answered(wrong), "12 + 5 = 17, got 18")
    assert failure.path == "$.usage.total_tokens"
    over = responses_response(tokens=(12, 40))
    fails("responses.usage", answered(over), "at most max_output_tokens = 32 output tokens, got 40")
    reasoning = copy.deepcopy(PLAIN)
    reasoning["usage"]["output_tokens_details"]["reasoning_tokens"] = 6
    fails("responses.usage", answered(reasoning), "reasoning_tokens <= output_tokens (5), got 6")


def test_status_says_why_output_stopped() -> None:
    unexplained = responses_response(status="incomplete", incomplete_details=None)
    fails("responses.status", answered(unexplained), "expected incomplete_details.reason")
    past_the_cap = responses_response(tokens=(12, 40))
    fails("responses.status", answered(past_the_cap), "expected status incomplete (40 output tokens")


def test_function_calls_name_declared_tools_with_valid_arguments() -> None:
    fails(
        "responses.function_call",
        answered(responses_response(function_call_item("get_time")), TOOLS),
        "got 'get_time'",
    )
    bad = responses_response(function_call_item(arguments={"town": "Oslo"}))
    fails("responses.function_call", answered(bad, TOOLS), "valid against get_weather's parameters")
    fails(
        "responses.function_call",
        answered(responses_response(function_call_item(arguments="{")), TOOLS),
        "JSON arguments",
    )
    required = responses_request(tools=[RESPONSES_TOOL], tool_choice="required")
    fails("responses.function_call", answered(PLAIN, required), "expected a function call (tool_choice)")
    skips("responses.function_call", answered(PLAIN, TOOLS))  # auto: answering in text is fine


def test_structured_output_is_the_json_asked_for() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    asked = responses_request(text={"format": {"type": "json_schema", "name": "n", "schema": schema}})
    passes("responses.structured", answered(responses_response(message_item('{"a": 1}')), asked))
    fails(
        "responses.structured",
        answered(responses_response(message_item('{"b": 1}')), asked),
        "valid against the json_schema 'n'",
    )
    fails(
        "responses.structured",
        answered(responses_response(message_item("not json")), asked),
        "expected JSON output text",
    )
    as_object = responses_request(text={"format": {"type": "json_object"}})
    fails(
        "responses.structured",
        answered(responses_response(message_item("[1]")), as_object),
        "a JSON object, got list",
    )
    skips("responses.structured", answered(PLAIN))


def test_chat_stream_checks_leave_typed_event_streams_alone() -> None:
    for name in ("stream.done", "stream.identity", "stream.finish_reason", "stream.role"):
        skips(name, streamed(PLAIN))
    passes("stream.framing", streamed(PLAIN))
    passes("stream.reassembled", streamed(PLAIN))
    passes("schema.response", streamed(PLAIN))
