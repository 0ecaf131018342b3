"""Stream reassembly: chunks folded back into the body a plain request gets."""

from __future__ import annotations

import copy

import pytest
from payloads import (
    CREATED,
    assistant,
    calling,
    chat_response,
    choice,
    reasoning_message,
    to_chunks,
    tool_call,
    usage,
)

from harness.families.reassembly import reassemble, reassemble_text
from harness.wire.exchange import SSEEvent
from harness.wire.streams import stream_chunks

HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": CREATED, "model": "m"}


def chunk(*choices: dict, **fields: object) -> dict:
    return {**HEAD, "choices": list(choices), **fields}


def delta(index: int = 0, finish_reason: str | None = None, **fields: object) -> dict:
    return {"index": index, "delta": fields, "finish_reason": finish_reason}


def test_content_fragments_join_into_one_message() -> None:
    body = reassemble(
        [
            chunk(delta(role="assistant", content="")),
            chunk(delta(content="Hel")),
            chunk(delta(content="lo")),
            chunk(delta(finish_reason="stop")),
        ]
    )
    assert body == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": CREATED,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
    }


def test_tool_call_deltas_split_across_chunks_assemble_by_index() -> None:
    body = reassemble(
        [
            chunk(delta(role="assistant", content=None)),
            chunk(
                delta(
                    tool_calls=[
                        {
                            "index": 0,
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "f", "arguments": ""},
                        }
                    ]
                )
            ),
            chunk(delta(tool_calls=[{"index": 0, "function": {"arguments": '{"ci'}}])),
            # The second call starts while the first is still open, and a server repeats the name.
            chunk(
                delta(
                    tool_calls=[
                        {
                            "index": 1,
                            "id": "call_b",
                            "type": "function",
                            "function": {"name": "g", "arguments": "{"},
                        }
                    ]
                )
            ),
            chunk(delta(tool_calls=[{"index": 0, "function": {"name": "f", "arguments": 'ty": "Paris"}'}}])),
            chunk(delta(tool_calls=[{"index": 1, "function": {"arguments": "}"}}])),
            chunk(delta(finish_reason="tool_calls")),
        ]
    )
    message = body["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [
        {"id": "call_a", "type": "function", "function": {"name": "f", "arguments": '{"city": "Paris"}'}},
        {"id": "call_b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
    ]
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_interleaved_choices_are_kept_apart_and_sorted_by_index() -> None:
    body = reassemble(
        [
            chunk(delta(1, role="assistant", content="B")),
            chunk(delta(0, role="assistant", content="A")),
            chunk(delta(1, content="b"), delta(0, content="a")),
            chunk(delta(0, finish_reason="length")),
            chunk(delta(1, finish_reason="stop")),
        ]
    )
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in body["choices"]] == [
        (0, "Aa", "length"),
        (1, "Bb", "stop"),
    ]


def test_usage_chunk_gives_the_usage() -> None:
    tokens = usage(7, 2)
    body = reassemble(
        [
            chunk(delta(role="assistant", content="Hi"), usage=None),
            chunk(delta(finish_reason="stop"), usage=None),
            chunk(usage=tokens),
        ]
    )
    assert body["usage"] == tokens
    assert len(body["choices"]) == 1


def test_without_usage_chunk_there_is_no_usage() -> None:
    assert "usage" not in reassemble([chunk(delta(role="assistant", content="Hi", finish_reason="stop"))])


def test_databricks_reasoning_fragments_merge_into_blocks() -> None:
    def reasoning(text: str, **extra: str) -> list[dict]:
        return [{"type": "reasoning", "summary": [{"type": "summary_text", "text": text, **extra}]}]

    body = reassemble(
        [
            chunk(delta(role="assistant", content=reasoning("Think"))),
            chunk(delta(content=reasoning("ing."))),
            chunk(delta(content=reasoning("", signature="sig=="))),
            chunk(delta(content=[{"type": "text", "text": "Hel"}])),
            chunk(delta(content="lo")),  # a plain string delta extends the text block too
            chunk(delta(finish_reason="stop")),
        ]
    )
    assert body["choices"][0]["message"]["content"] == [
        {
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": "Thinking.", "signature": "sig=="}],
        },
        {"type": "text", "text": "Hello"},
    ]


def test_refusal_reasoning_content_and_logprobs_are_joined() -> None:
    token = {"token": "No", "logprob": -0.1}
    body = reassemble(
        [
            chunk(delta(role="assistant", reasoning_content="Hmm")),
            chunk({**delta(refusal="I can"), "logprobs": {"content": None, "refusal": [token]}}),
            chunk(
                {
                    **delta(refusal="not.", reasoning_content="."),
                    "logprobs": {"content": None, "refusal": [token]},
                }
            ),
            chunk(delta(finish_reason="stop")),
        ]
    )
    reassembled = body["choices"][0]
    assert reassembled["message"]["refusal"] == "I cannot."
    assert reassembled["message"]["reasoning_content"] == "Hmm."
    assert reassembled["message"]["content"] is None
    assert reassembled["logprobs"] == {"content": None, "refusal": [token, token]}


def test_nothing_is_invented_for_what_no_chunk_carried() -> None:
    body = reassemble(
        [
            {"object": "chat.completion.chunk", "choices": [delta(content="x")]},
            chunk(delta(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])),
        ]
    )
    message = body["choices"][0]["message"]
    assert message["role"] is None
    assert message["tool_calls"] == [{"function": {"arguments": "{}"}}]  # no id, type or name
    assert body["choices"][0]["finish_reason"] is None
    assert body["id"] == "chatcmpl-1"  # the first chunk that states it


def test_odd_shapes_are_skipped_not_raised() -> None:
    body = reassemble(
        [
            chunk(
                "not a choice",
                {"index": "0"},
                delta(role="assistant", content=["x", {"type": "text", "text": 1}]),
            ),
            {"choices": "nope", "usage": [1]},
            chunk(delta(tool_calls=["x", {"index": True}], content=5)),
        ]
    )
    assert body["choices"][0]["message"]["content"] == [{"type": "text", "text": 1}]
    assert "usage" not in body


@pytest.mark.parametrize(
    "response",
    [
        chat_response(),
        chat_response(choice(0), choice(1, assistant("Second answer, longer."), "length")),
        chat_response(
            calling(tool_call("get_weather", {"city": "Paris"}), tool_call("get_time", {}, "call_2"))
        ),
        chat_response(choice(0, reasoning_message())),
    ],
)
def test_reassembling_a_streamed_response_gives_it_back(response: dict) -> None:
    expected = copy.deepcopy(response)
    assert reassemble(to_chunks(response, include_usage=True)) == expected


def test_completions_chunks_reassemble_into_a_text_completion() -> None:
    head = {"id": "cmpl-1", "object": "text_completion", "created": CREATED, "model": "m"}
    body = reassemble_text(
        [
            {**head, "choices": [{"index": 0, "text": "Once", "finish_reason": None, "logprobs": None}]},
            {**head, "choices": [{"index": 1, "text": "Twice", "finish_reason": "stop", "logprobs": None}]},
            {**head, "choices": [{"index": 0, "text": " more", "finish_reason": "length", "logprobs": None}]},
            {**head, "choices": [], "usage": usage(3, 4)},
        ]
    )
    assert body == {
        **head,
        "choices": [
            {"index": 0, "text": "Once more", "finish_reason": "length", "logprobs": None},
            {"index": 1, "text": "Twice", "finish_reason": "stop", "logprobs": None},
        ],
        "usage": usage(3, 4),
    }


def test_stream_chunks_skips_done_and_unparsable_data_keeping_event_indexes() -> None:
    events = [SSEEvent('{"a": 1}'), SSEEvent("not json"), SSEEvent("[1]"), SSEEvent("[DONE]")]
    assert stream_chunks(events) == [(0, {"a": 1}), (2, [1])]
