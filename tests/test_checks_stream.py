"""Streaming checks: framing, [DONE], agreement between chunks, usage chunk, reassembled body."""

from __future__ import annotations

import copy

import orjson
from payloads import (
    calling,
    chat_request,
    chat_response,
    choice,
    completions_request,
    exchange,
    fails,
    openai_error,
    passes,
    skips,
    sse,
    stream_exchange,
    to_chunks,
    tool_call,
)

from harness.checks import CATALOGUE

TWO = chat_response(choice(0), choice(1))
STREAM_CHECKS = [name for name in CATALOGUE if name.startswith("stream.")]


def streamed(chunks: list, **request: object):
    return stream_exchange("stream", chat_request(**request), chunks)


def test_a_valid_stream_passes_every_stream_check() -> None:
    ex = streamed(to_chunks(TWO, include_usage=True), n=2, stream_options={"include_usage": True})
    for name in STREAM_CHECKS:
        passes(name, ex)


def test_stream_checks_judge_only_successful_event_streams() -> None:
    as_json = exchange("stream", chat_request(stream=True), chat_response())
    refused = exchange("errors", chat_request(stream=True), openai_error(), status=400, expect="client_error")
    plain = exchange("chat", chat_request(), chat_response())
    for name in STREAM_CHECKS:
        for ex in (as_json, refused, plain):
            skips(name, ex)


# -- framing and terminator -----------------------------------------------------------------------


def test_framing_tolerates_comments_and_crlf() -> None:
    body = b": keep-alive\r\n\r\n" + sse(to_chunks(chat_response())).replace(b"\n", b"\r\n")
    passes("stream.framing", streamed(body))


def test_framing_fails_a_line_without_a_field_name() -> None:
    body = sse(to_chunks(chat_response())).replace(b"data: [DONE]", b"{oops}\n\ndata: [DONE]")
    fails("stream.framing", streamed(body), "expected well-formed SSE", "line without a field name")


def test_framing_fails_a_last_event_without_a_blank_line() -> None:
    body = sse(to_chunks(chat_response())).removesuffix(b"\n\n")
    fails("stream.framing", streamed(body), "without a blank line")


def test_done_fails_when_missing() -> None:
    chunks = to_chunks(chat_response())
    failure = fails("stream.done", streamed(sse(chunks, done=False)), "expected the last event to be [DONE]")
    assert failure.path == f"events[{len(chunks) - 1}]"
    fails("stream.done", streamed(b""), "got no events")


def test_done_fails_when_not_last() -> None:
    body = sse(to_chunks(chat_response())[:2]) + sse(to_chunks(chat_response())[2:])
    failure = fails("stream.done", streamed(body), "only as the last event", "event 2")
    assert failure.path == "events[2]"


# -- agreement between chunks ---------------------------------------------------------------------


def test_identity_fails_when_the_id_changes() -> None:
    chunks = to_chunks(chat_response())
    chunks[3] = {**chunks[3], "id": "chatcmpl-other"}
    failure = fails(
        "stream.identity", streamed(chunks), "id 'chatcmpl-abc123' (as event 0)", "'chatcmpl-other'"
    )
    assert failure.path == "events[3].id"


def test_identity_fails_when_created_changes() -> None:
    chunks = to_chunks(chat_response())
    chunks[-1] = {**chunks[-1], "created": chunks[-1]["created"] + 1}
    fails("stream.identity", streamed(chunks), "created")


def test_role_fails_when_the_first_delta_has_none() -> None:
    chunks = to_chunks(chat_response())
    del chunks[0]["choices"][0]["delta"]["role"]
    failure = fails("stream.role", streamed(chunks), "first delta of choice 0", "got None")
    assert failure.path == "events[0].choices[0].delta.role"


def test_role_is_required_for_every_choice() -> None:
    chunks = to_chunks(TWO)
    assert chunks[1]["choices"][0]["index"] == 1
    chunks[1]["choices"][0]["delta"]["role"] = "user"
    fails("stream.role", streamed(chunks, n=2), "choice 1", "got 'user'")


def test_role_is_not_judged_for_completions_streams() -> None:
    head = {"id": "c", "object": "text_completion", "created": 1_750_000_000, "model": "m"}
    ex = stream_exchange(
        "completions", completions_request(), [{**head, "choices": [{"index": 0, "text": "x"}]}]
    )
    skips("stream.role", ex)
    passes("stream.done", ex)


def test_finish_reason_fails_when_a_choice_never_gets_one() -> None:
    chunks = to_chunks(TWO)
    chunks = [c for c in chunks if c["choices"][0]["finish_reason"] is None or c["choices"][0]["index"] == 0]
    failure = fails("stream.finish_reason", streamed(chunks, n=2), "for choice 1, got none")
    assert failure.path.startswith("events[") and failure.path.endswith(".choices[0].finish_reason")


def test_finish_reason_fails_when_a_choice_gets_two() -> None:
    chunks = to_chunks(chat_response())
    chunks.append(
        copy.deepcopy(chunks[-1]) | {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}
    )
    failure = fails(
        "stream.finish_reason", streamed(chunks), "one finish_reason for choice 0", "'length' after 'stop'"
    )
    assert failure.path == f"events[{len(chunks) - 1}].choices[0].finish_reason"


# -- usage chunk ----------------------------------------------------------------------------------


def test_after_finish_fails_content_that_comes_after_the_finish() -> None:
    chunks = to_chunks(TWO)
    late = {**chunks[0], "choices": [{"index": 1, "delta": {"content": "late"}, "finish_reason": None}]}
    chunks.append(late)
    failure = fails("stream.after_finish", streamed(chunks, n=2), "nothing for choice 1 after its finish")
    assert failure.path == f"events[{len(chunks) - 1}].choices[0]"
    passes("stream.after_finish", streamed(to_chunks(TWO), n=2))


def test_usage_chunk_missing_fails() -> None:
    ex = streamed(to_chunks(chat_response()), stream_options={"include_usage": True})
    fails("stream.usage", ex, "choices []", "got 1 choice(s) and usage None")


def test_usage_on_a_chunk_with_choices_fails() -> None:
    chunks = to_chunks(chat_response(), include_usage=True)
    usage_chunk = chunks.pop()
    chunks[-1]["usage"] = usage_chunk["usage"]
    fails(
        "stream.usage",
        streamed(chunks, stream_options={"include_usage": True}),
        "got 1 choice(s) and usage {",
    )


def test_usage_chunk_must_come_last() -> None:
    chunks = to_chunks(chat_response(), include_usage=True)
    chunks.insert(2, chunks.pop())
    fails("stream.usage", streamed(chunks, stream_options={"include_usage": True}), "last chunk")


def test_usage_chunk_is_only_required_when_asked_for() -> None:
    skips("stream.usage", streamed(to_chunks(chat_response())))
    skips("stream.usage", streamed(to_chunks(chat_response()), stream_options={"include_usage": False}))


# -- reassembled body -----------------------------------------------------------------------------


def test_reassembled_fails_a_tool_call_that_never_got_an_id() -> None:
    chunks = to_chunks(chat_response(calling(tool_call("get_weather", {"city": "Oslo"}))))
    for c in chunks:
        for call in c["choices"][0]["delta"].get("tool_calls", []):
            call.pop("id", None)
    ex = stream_exchange("tools", chat_request(tools=[]), chunks)
    failure = fails("stream.reassembled", ex, "chat_response", "once the stream is reassembled", "id")
    assert failure.path == "$.choices[0].message.tool_calls[0]"


def test_reassembled_fails_when_no_finish_reason_came() -> None:
    chunks = to_chunks(chat_response())[:-1]
    fails("stream.reassembled", streamed(chunks), "$.choices[0].finish_reason")


def test_reassembled_completions_use_the_completions_schema() -> None:
    head = {"id": "c", "object": "text_completion", "created": 1_750_000_000, "model": "m"}
    ok = [{**head, "choices": [{"index": 0, "text": "x", "finish_reason": "stop"}]}]
    passes("stream.reassembled", stream_exchange("completions", completions_request(), ok))
    no_text = [{**head, "choices": [{"index": 0, "finish_reason": "stop"}]}]
    fails(
        "stream.reassembled",
        stream_exchange("completions", completions_request(), no_text),
        "completions_response",
    )


def test_a_stream_whose_chunks_are_not_objects_reassembles_to_an_invalid_body() -> None:
    body = b"data: " + orjson.dumps([1, 2]) + b"\n\ndata: [DONE]\n\n"
    fails("stream.reassembled", streamed(body), "chat_response")
