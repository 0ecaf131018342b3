"""Generation semantics: usage, choices, finish reasons, token limits, stop sequences, identity."""

from __future__ import annotations

import time

import pytest
from payloads import (
    WEATHER_TOOL,
    assistant,
    calling,
    chat_request,
    chat_response,
    choice,
    completions_request,
    completions_response,
    exchange,
    fails,
    passes,
    reasoning_message,
    skips,
    stream_exchange,
    text_choice,
    to_chunks,
    tool_call,
    usage,
)


def chat(body: dict, **request: object):
    return exchange("chat", chat_request(**request), body)


# -- chat.usage -----------------------------------------------------------------------------------


def test_usage_passes_when_it_adds_up() -> None:
    passes("chat.usage", chat(chat_response()))
    passes("chat.usage", exchange("completions", completions_request(), completions_response()))


def test_usage_fails_when_total_is_not_the_sum() -> None:
    body = chat_response(tokens={"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 18})
    failure = fails("chat.usage", chat(body), "12 + 5 = 17, got 18")
    assert failure.path == "$.usage.total_tokens"


def test_usage_fails_zero_completion_tokens_for_real_output() -> None:
    fails("chat.usage", chat(chat_response(tokens=usage(12, 0))), "completion_tokens >= 1")
    passes("chat.usage", chat(chat_response(choice(0, assistant("")), tokens=usage(12, 0))))


def test_usage_counts_tool_calls_as_output() -> None:
    body = chat_response(calling(tool_call("get_weather", {"city": "Oslo"})), tokens=usage(30, 0))
    fails("chat.usage", exchange("tools", chat_request(tools=[WEATHER_TOOL]), body), "completion_tokens >= 1")


def test_usage_is_judged_on_the_reassembled_stream() -> None:
    chunks = to_chunks(chat_response(), include_usage=True)
    chunks[-1]["usage"] = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 5}
    ex = stream_exchange("stream", chat_request(stream_options={"include_usage": True}), chunks)
    fails("chat.usage", ex, "got 5", "(in the reassembled stream)")


def test_usage_is_not_judged_without_usage() -> None:
    body = chat_response()
    del body["usage"]
    skips("chat.usage", chat(body))
    skips("chat.usage", stream_exchange("stream", chat_request(), to_chunks(chat_response())))


# -- chat.choices ---------------------------------------------------------------------------------


def test_choices_pass_for_n() -> None:
    passes("chat.choices", chat(chat_response(choice(1), choice(0)), n=2))


def test_choices_fail_when_fewer_than_n() -> None:
    failure = fails("chat.choices", chat(chat_response(choice(0)), n=3), "expected 3 choice(s), got 1")
    assert failure.path == "$.choices"


def test_choices_fail_on_a_repeated_index() -> None:
    failure = fails("chat.choices", chat(chat_response(choice(0), choice(0)), n=2), "got 0 (a repeat)")
    assert failure.path == "$.choices[1].index"


def test_choices_fail_on_an_index_out_of_range() -> None:
    fails("chat.choices", chat(chat_response(choice(1))), "indexes 0..0", "got 1 (out of range)")


def test_completions_expect_n_choices_per_prompt() -> None:
    two = completions_response(text_choice(0), text_choice(1))
    passes("chat.choices", exchange("completions", completions_request(prompt=["a", "b"]), two))
    fails(
        "chat.choices",
        exchange("completions", completions_request(prompt=["a", "b"], n=2), two),
        "expected 4",
    )
    one = completions_response()
    passes(
        "chat.choices", exchange("completions", completions_request(prompt=[1, 2, 3]), one)
    )  # one token prompt


def test_choices_are_counted_in_a_reassembled_stream() -> None:
    ex = stream_exchange("stream", chat_request(n=2), to_chunks(chat_response()))
    fails("chat.choices", ex, "expected 2 choice(s), got 1", "(in the reassembled stream)")


# -- chat.finish_reason ---------------------------------------------------------------------------


def test_finish_reason_null_fails() -> None:
    body = chat_response()
    body["choices"][0]["finish_reason"] = None
    fails("chat.finish_reason", chat(body), "expected a finish_reason, got null")


def test_finish_reason_tool_calls_needs_tools_in_the_request() -> None:
    body = chat_response(calling(tool_call("get_weather", {"city": "Oslo"})))
    passes("chat.finish_reason", exchange("tools", chat_request(tools=[WEATHER_TOOL]), body))
    failure = fails("chat.finish_reason", chat(body), "no callable tools", "got it")
    assert failure.path == "$.choices[0].finish_reason"
    fails("chat.finish_reason", chat(body, tools=[WEATHER_TOOL], tool_choice="none"), "no callable tools")


def test_finish_reason_tool_calls_needs_calls_in_the_message() -> None:
    body = chat_response(choice(0, assistant("I would call a tool."), "tool_calls"))
    failure = fails("chat.finish_reason", chat(body, tools=[WEATHER_TOOL]), "expected tool_calls", "got none")
    assert failure.path == "$.choices[0].message.tool_calls"


def test_finish_reason_function_call_needs_functions() -> None:
    body = chat_response(choice(0, assistant(None), "function_call"))
    fails("chat.finish_reason", chat(body), "'function_call'", "functions")


# -- chat.length ----------------------------------------------------------------------------------


def test_length_without_a_limit_fails_on_chat() -> None:
    body = chat_response(choice(0, finish_reason="length"))
    failure = fails("chat.length", chat(body), "no max_tokens or max_completion_tokens")
    assert failure.path == "$.choices[0].finish_reason"
    passes("chat.length", chat(chat_response()))


def test_length_with_one_choice_means_exactly_the_limit() -> None:
    cut = chat_response(choice(0, finish_reason="length"), tokens=usage(12, 5))
    passes("chat.length", chat(cut, max_tokens=5))
    short = chat_response(choice(0, finish_reason="length"), tokens=usage(12, 3))
    fails("chat.length", chat(short, max_tokens=5), "expected completion_tokens >= 5", "got 3")


def test_output_beyond_the_limit_fails() -> None:
    body = chat_response(tokens=usage(12, 9))
    failure = fails(
        "chat.length", chat(body, max_completion_tokens=8), "<= 8 (limit) x 1 choice(s) = 8, got 9"
    )
    assert failure.path == "$.usage.completion_tokens"


def test_the_smaller_of_two_limits_counts() -> None:
    body = chat_response(tokens=usage(12, 9))
    fails("chat.length", chat(body, max_tokens=100, max_completion_tokens=8), "= 8, got 9")


def test_length_with_several_choices_uses_the_usage_summed_over_choices() -> None:
    # n=2, limit 5: one choice cut at 5, the other stopped at 4 -> 9 in all.
    body = chat_response(choice(0, finish_reason="length"), choice(1), tokens=usage(12, 9))
    passes("chat.length", chat(body, n=2, max_tokens=5))
    both_cut = chat_response(
        choice(0, finish_reason="length"), choice(1, finish_reason="length"), tokens=usage(12, 9)
    )
    fails("chat.length", chat(both_cut, n=2, max_tokens=5), ">= 5 (limit) x 2", "got 9")
    too_many = chat_response(choice(0), choice(1), tokens=usage(12, 11))
    fails("chat.length", chat(too_many, n=2, max_tokens=5), "<= 5 (limit) x 2 choice(s) = 10, got 11")


def test_completions_length_is_judged_only_with_max_tokens() -> None:
    cut = completions_response(text_choice(finish_reason="length"), tokens=usage(4, 16))
    skips("chat.length", exchange("completions", {"model": "m", "prompt": "x"}, cut))  # server default limit
    passes("chat.length", exchange("completions", completions_request(max_tokens=16), cut))
    fails("chat.length", exchange("completions", completions_request(max_tokens=20), cut), ">= 20")


def test_length_in_a_stream_without_a_limit_fails() -> None:
    chunks = to_chunks(chat_response(choice(0, finish_reason="length")))
    fails("chat.length", stream_exchange("stream", chat_request(), chunks), "(in the reassembled stream)")


# -- chat.stop ------------------------------------------------------------------------------------


def test_stop_sequence_in_the_output_fails() -> None:
    body = chat_response(choice(0, assistant("One, two, END three")))
    failure = fails("chat.stop", chat(body, stop="END"), "'END'", "offset 10")
    assert failure.path == "$.choices[0].message.content"
    passes("chat.stop", chat(chat_response(), stop=["END", "\n\n"]))


def test_stop_is_judged_in_every_choice_and_in_completions_text() -> None:
    body = chat_response(choice(0), choice(1, assistant("a\n\nb")))
    failure = fails("chat.stop", chat(body, n=2, stop=["END", "\n\n"]), "'\\n\\n'")
    assert failure.path == "$.choices[1].message.content"
    text = completions_response(text_choice(text=" and then STOP"))
    failure = fails("chat.stop", exchange("completions", completions_request(stop="STOP"), text), "'STOP'")
    assert failure.path == "$.choices[0].text"


def test_stop_reads_the_text_blocks_of_reasoning_content() -> None:
    body = chat_response(choice(0, reasoning_message(answer="Hello END")))
    fails("chat.stop", exchange("reasoning", chat_request(stop="END"), body), "'END'")


def test_stop_is_not_judged_with_echo_or_without_stop() -> None:
    text = completions_response(text_choice(text="STOP and go"))
    skips("chat.stop", exchange("completions", completions_request(stop="STOP", echo=True), text))
    skips("chat.stop", chat(chat_response()))
    skips("chat.stop", chat(chat_response(), stop=[""]))


# -- chat.identity --------------------------------------------------------------------------------


def test_identity_passes_a_normal_response() -> None:
    passes("chat.identity", chat(chat_response()))
    passes("chat.identity", stream_exchange("stream", chat_request(), to_chunks(chat_response())))


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("id", "", "non-empty id"),
        ("model", " ", "non-empty model"),
        ("created", 1_750_000_000_000, "(milliseconds?)"),
        ("created", 0, "between 2020-01-01 and now"),
        # An id of its own: a value with the clock in it differs between xdist workers' collections.
        pytest.param("created", int(time.time()) + 10 * 86_400, "got", id="created-in-10-days"),
    ],
)
def test_identity_fails_implausible_values(field: str, value: object, fragment: str) -> None:
    body = chat_response()
    body[field] = value
    assert fails("chat.identity", chat(body), fragment).path == f"$.{field}"


def test_identity_applies_to_completions() -> None:
    body = completions_response()
    body["id"] = ""
    fails("chat.identity", exchange("completions", completions_request(), body), "non-empty id")
