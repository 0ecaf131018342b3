"""Reading responses as they arrive: TTFT, ITL, tokens and broken streams, with a fake clock."""

from __future__ import annotations

import orjson
import pytest

from harness.load.measure import StreamMeter, body_answer, body_output, request_text, token_counts
from harness.tokens import count_tokens


def event(obj: object) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def chunk(delta: dict, finish: str | None = None, usage: dict | None = None) -> bytes:
    body: dict = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return event(body)


def meter_for(parts: list[tuple[float, bytes]], t0: float = 10.0, keep: bool = False) -> StreamMeter:
    meter = StreamMeter(t0, keep_chunks=keep)
    for now, data in parts:
        meter.feed(data, now)
    meter.close(parts[-1][0] if parts else t0)
    return meter


def test_ttft_is_the_first_content_not_the_role_chunk() -> None:
    meter = meter_for(
        [
            (10.050, chunk({"role": "assistant", "content": ""})),
            (10.100, chunk({"content": "Hello"})),
            (10.120, chunk({"content": " world"})),
            (10.150, chunk({"content": "!"}, "stop")),
            (
                10.151,
                event({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3}})
                + b"data: [DONE]\n\n",
            ),
        ]
    )
    assert meter.ms(meter.first_event) == pytest.approx(50)
    assert meter.ms(meter.first_content) == pytest.approx(100)
    assert meter.gaps_ms == pytest.approx([20, 30])
    assert "".join(meter.pieces) == "Hello world!"
    assert meter.usage == {"prompt_tokens": 5, "completion_tokens": 3}
    assert meter.done and meter.problem is None


def test_tool_call_and_reasoning_deltas_count_as_content() -> None:
    tool = {
        "tool_calls": [
            {"index": 0, "id": "t", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
        ]
    }
    meter = meter_for(
        [
            (10.2, chunk({"role": "assistant"})),
            (10.3, chunk(tool)),
            (10.35, chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city"'}}]})),
            (10.4, b"data: [DONE]\n\n"),
        ]
    )
    assert meter.ms(meter.first_content) == pytest.approx(300)
    assert "".join(meter.pieces) == 'get_weather{"city"'
    blocks = {"content": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}]}]}
    meter = meter_for(
        [(10.1, chunk(blocks)), (10.2, chunk({"reasoning_content": "more"})), (10.3, b"data: [DONE]\n\n")]
    )
    assert meter.ms(meter.first_content) == pytest.approx(100)
    assert meter.pieces == ["think", "more"]


def test_a_conversation_carries_the_answer_without_reasoning_or_tool_calls() -> None:
    """Every kind of output counts as tokens, but the next turn's history holds what the user was told."""
    blocks = [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}]}]
    meter = StreamMeter(10.0, keep_answer=True)
    for now, delta in enumerate(
        [
            {"role": "assistant", "reasoning_content": "Let me see. "},  # vLLM (older)
            {"reasoning": "Hmm. "},  # vLLM
            {"content": blocks},  # Databricks
            {"content": [{"type": "text", "text": "The answer"}]},
            {"content": " is 4."},
            {"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "{}"}}]},
        ]
    ):
        meter.feed(chunk(delta), 10.0 + now)
    meter.feed(b"data: [DONE]\n\n", 17.0)
    meter.close(17.0)
    assert "".join(meter.pieces) == "Let me see. Hmm. thinkThe answer is 4.f{}"
    assert "".join(meter.answer or []) == "The answer is 4."
    assert StreamMeter(10.0).answer is None  # not kept unless a conversation needs it
    message = {"role": "assistant", "content": [*blocks, {"type": "text", "text": "Four."}], "reasoning": "x"}
    assert body_answer({"choices": [{"index": 0, "message": message}]}) == "Four."
    assert body_answer({"choices": "nope"}) == body_answer([1]) == ""


def test_completions_chunks_carry_text() -> None:
    text_chunk = event({"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": "Once"}]})
    meter = meter_for([(10.01, text_chunk), (10.02, text_chunk), (10.03, b"data: [DONE]\n\n")])
    assert meter.ms(meter.first_content) == pytest.approx(10)
    assert meter.gaps_ms == pytest.approx([10])


def test_bytes_split_anywhere_give_the_same_answer() -> None:
    body = chunk({"content": "ab"}) + chunk({"content": "cd"}) + b"data: [DONE]\n\n"
    meter = meter_for([(10.0 + i / 1000, body[i : i + 1]) for i in range(len(body))])
    assert "".join(meter.pieces) == "abcd" and meter.done


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        (b"", "without data: [DONE]"),
        (b"data: {oops\n\n", "not JSON"),
        (b'data: {"error": {"message": "overloaded"}}\n\n', "error event"),
    ],
)
def test_broken_streams_are_named(tail: bytes, problem: str) -> None:
    meter = meter_for([(10.1, chunk({"content": "x"})), (10.2, tail)])
    assert problem in (meter.problem or "")


def test_kept_chunks_are_the_json_events() -> None:
    meter = meter_for([(10.1, chunk({"content": "x"})), (10.2, b"data: [DONE]\n\n")], keep=True)
    assert meter.chunks is not None and meter.chunks[0]["choices"][0]["delta"] == {"content": "x"}
    assert meter_for([(10.1, chunk({"content": "x"}))]).chunks is None


def test_body_output_and_tokens_prefer_usage() -> None:
    body = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi there"}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
    }
    text, usage = body_output(body)
    request = {"messages": [{"role": "user", "content": "Say hi to everyone"}]}
    assert text == "Hi there"
    assert token_counts("chat", request, usage, text) == (9, 2, "usage")
    expected = (count_tokens("Say hi to everyone"), count_tokens("Hi there"), "tokenizer")
    assert token_counts("chat", request, None, text) == expected
    assert token_counts("chat", request, {"prompt_tokens": 9}, text) == expected  # half a usage is no usage
    assert token_counts(
        "embeddings", {"input": ["a b", "c"]}, {"prompt_tokens": 4, "total_tokens": 4}, ""
    ) == (4, None, "usage")
    assert token_counts("embeddings", {"input": ["a b", "c"]}, None, "") == (
        count_tokens("a bc"),
        None,
        "tokenizer",
    )


def test_request_text_reads_every_shape() -> None:
    parts = [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": "data:..."}}]
    assert (
        request_text({"messages": [{"role": "user", "content": parts}, {"role": "user", "content": "!"}]})
        == "look!"
    )
    assert request_text({"prompt": "p"}) == "p"
    assert request_text({"input": ["a", "b"]}) == "ab"
