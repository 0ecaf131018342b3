"""chat.logprobs: asked for, every choice's text comes with one entry per token, shaped as OpenAI's."""

from __future__ import annotations

from payloads import (
    chat_request,
    chat_response,
    exchange,
    fails,
    passes,
    skips,
    stream_exchange,
    to_chunks,
    usage,
    with_logprobs,
)

NAME = "chat.logprobs"
ASKED = chat_request(logprobs=True, top_logprobs=2)


def answered(response: dict, request: dict = ASKED):
    return exchange("chat", request, response)


def good() -> dict:
    return with_logprobs(chat_response(tokens=usage(12, 3)))  # "Hello there, friend.": three words


def test_well_formed_logprobs_pass_plain_and_streamed() -> None:
    passes(NAME, answered(good()))
    passes(NAME, stream_exchange("chat", ASKED, to_chunks(good())))


def test_a_positive_logprob_fails() -> None:
    body = good()
    body["choices"][0]["logprobs"]["content"][1]["logprob"] = 0.3
    failure = fails(NAME, answered(body), "expected a logprob <= 0, got 0.3")
    assert failure.path == "$.choices[0].logprobs.content[1].logprob"


def test_top_logprobs_count_and_order() -> None:
    body = good()
    body["choices"][0]["logprobs"]["content"][0]["top_logprobs"].pop()
    fails(NAME, answered(body), "expected 2 top_logprobs (as asked), got 1")
    body = good()
    body["choices"][0]["logprobs"]["content"][0]["top_logprobs"].reverse()
    fails(NAME, answered(body), "descending order")


def test_missing_logprobs_and_tokens_that_do_not_spell_the_text_fail() -> None:
    body = good()
    body["choices"][0]["logprobs"] = None
    fails(NAME, answered(body), "expected logprobs.content entries, got None")
    body = good()
    body["choices"][0]["logprobs"]["content"][0]["bytes"] = list(b"Howdy ")
    fails(NAME, answered(body), "expected tokens spelling 'Hello there, friend.'")


def test_one_entry_per_completion_token() -> None:
    body = with_logprobs(chat_response(tokens=usage(12, 5)))
    fails(NAME, answered(body), "one logprobs entry per completion token (5), got 3")


def test_not_judged_unless_asked() -> None:
    skips(NAME, answered(good(), chat_request()))
    skips(NAME, answered(good(), chat_request(logprobs=False)))
