"""adaptive.stop and adaptive.length: a replay of the target's own base answer honours the stop sequence
taken from it and the limit under its length; a replay that went another way is not judged."""

from __future__ import annotations

from payloads import (
    BASE_TEXT,
    chat_request,
    chat_response,
    exchange,
    fails,
    length_replay,
    passes,
    skips,
    stop_replay,
)


def test_a_replay_ending_right_before_the_stop_passes() -> None:
    passes("adaptive.stop", stop_replay(BASE_TEXT[: BASE_TEXT.index("dark")]))


def test_a_replay_past_the_stop_or_not_finished_by_it_fails() -> None:
    failure = fails("adaptive.stop", stop_replay(BASE_TEXT), "end before stop sequence 'dark'", "after 31")
    assert failure.path == "$.choices[0].message.content"
    fails("adaptive.stop", stop_replay("The lamp turns slowly over the ", "length"), "finish_reason 'stop'")


def test_a_replay_that_went_another_way_is_not_judged_for_the_stop() -> None:
    skips("adaptive.stop", stop_replay("A different answer altogether."))
    skips("adaptive.stop", stop_replay("The lamp turns"))  # ended before reaching the stop: another way


def test_a_replay_cut_at_the_limit_passes() -> None:
    passes("adaptive.length", length_replay("The lamp turns slowly"))


def test_a_replay_not_cut_or_miscounted_fails() -> None:
    whole = length_replay(BASE_TEXT, "stop", tokens=9)
    fails(
        "adaptive.length",
        whole,
        "finish_reason 'length'",
        "max_tokens 4",
        "got 'stop' (the whole base answer)",
    )
    failure = fails(
        "adaptive.length", length_replay("The lamp turns slowly", tokens=3), "completion_tokens 4"
    )
    assert failure.path == "$.usage.completion_tokens"


def test_a_replay_that_went_another_way_is_not_judged_for_the_limit() -> None:
    skips("adaptive.length", length_replay("Another way to say it"))
    plain = exchange("chat", chat_request(max_tokens=4), chat_response())
    skips("adaptive.length", plain)  # no base answer to compare with
    skips("adaptive.stop", plain)
