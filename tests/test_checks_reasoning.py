"""Reasoning: reasoning plus an answer, as Databricks content blocks, beside reasoning_content, or
hidden and counted in usage as OpenAI does."""

from __future__ import annotations

import copy

from payloads import (
    assistant,
    chat_request,
    chat_response,
    choice,
    exchange,
    fails,
    passes,
    reasoning_message,
    skips,
    stream_exchange,
    to_chunks,
    usage,
)

NAME = "reasoning.content"


def reasoned(message: dict, finish_reason: str = "stop"):
    return exchange("reasoning", chat_request(), chat_response(choice(0, message, finish_reason)))


def blocks(*content: dict) -> dict:
    return assistant(list(content))


REASONING = {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Think first."}]}
TEXT = {"type": "text", "text": "The answer."}


def test_reasoning_blocks_with_an_answer_pass() -> None:
    passes(NAME, reasoned(reasoning_message()))
    passes(NAME, reasoned(blocks(REASONING, copy.deepcopy(REASONING), TEXT)))


def test_content_without_a_reasoning_block_fails() -> None:
    failure = fails(NAME, reasoned(blocks(TEXT)), "expected a reasoning block", "['text']")
    assert failure.path == "$.choices[0].message.content"


def test_a_plain_string_without_reasoning_content_fails() -> None:
    fails(NAME, reasoned(assistant("Just an answer.")), "no reasoning_content and no reasoning tokens")


def hidden(reasoning: object, completion: int = 5, streamed: bool = False):
    tokens = {**usage(12, completion), "completion_tokens_details": {"reasoning_tokens": reasoning}}
    body = chat_response(choice(0, assistant("The answer.")), tokens=tokens)
    if streamed:
        return stream_exchange("reasoning", chat_request(), to_chunks(body, include_usage=True))
    return exchange("reasoning", chat_request(), body)


def test_hidden_reasoning_counted_in_usage_passes_as_openai_answers() -> None:
    passes(NAME, hidden(3))
    passes(NAME, hidden(3, streamed=True))
    passes("reasoning.tokens", hidden(3))
    passes("reasoning.tokens", hidden(5))


def test_reasoning_tokens_beyond_completion_tokens_fail() -> None:
    failure = fails("reasoning.tokens", hidden(6), "0 <= reasoning_tokens <= completion_tokens (5), got 6")
    assert failure.path == "$.usage.completion_tokens_details.reasoning_tokens"
    fails("reasoning.tokens", hidden(-1), "got -1")
    skips("reasoning.tokens", reasoned(reasoning_message()))


def test_a_stream_showing_no_reasoning_and_no_usage_is_not_judged() -> None:
    plain = to_chunks(chat_response(choice(0, assistant("The answer."))))
    skips(NAME, stream_exchange("reasoning", chat_request(), plain))


def test_an_empty_summary_fails() -> None:
    empty = {"type": "reasoning", "summary": []}
    failure = fails(NAME, reasoned(blocks(empty, TEXT)), "non-empty reasoning summary")
    assert failure.path == "$.choices[0].message.content[0].summary"


def test_a_summary_part_without_text_fails() -> None:
    blank = {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "ok"}, {"type": "summary_text", "text": " "}],
    }
    failure = fails(NAME, reasoned(blocks(blank, TEXT)), "expected summary text")
    assert failure.path == "$.choices[0].message.content[0].summary[1].text"


def test_a_missing_answer_fails_unless_the_limit_cut_it() -> None:
    fails(NAME, reasoned(blocks(REASONING)), "a text block with the answer")
    fails(NAME, reasoned(blocks(REASONING, {"type": "text", "text": ""})), "a text block with the answer")
    passes(NAME, reasoned(blocks(REASONING), finish_reason="length"))


def test_reasoning_content_beside_the_answer_passes() -> None:
    passes(NAME, reasoned(assistant("42", reasoning_content="Six times seven.")))
    fails(
        NAME,
        reasoned(assistant("", reasoning_content="Six times seven.")),
        "an answer beside reasoning_content",
    )


def test_streamed_reasoning_is_judged_once_reassembled() -> None:
    passes(
        NAME,
        stream_exchange(
            "reasoning", chat_request(), to_chunks(chat_response(choice(0, reasoning_message())))
        ),
    )
    only_text = to_chunks(chat_response(choice(0, blocks(TEXT))))
    fails(NAME, stream_exchange("reasoning", chat_request(), only_text), "(in the reassembled stream)")


def test_other_families_are_not_judged() -> None:
    skips(NAME, exchange("chat", chat_request(), chat_response()))


def test_vllms_newer_reasoning_field_counts_too() -> None:
    passes(NAME, reasoned(assistant("42", reasoning="Six times seven.")))
    streamed = to_chunks(chat_response(choice(0, assistant("42", reasoning="Six times seven."))))
    passes(NAME, stream_exchange("reasoning", chat_request(), streamed))
