"""The SSE parser: WHATWG framing rules, any chunking, and the problems it records."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from harness.wire.exchange import SSEEvent
from harness.wire.sse import UNTERMINATED, SSEDecoder, parse_sse

# A realistic chat stream with every framing feature: comments, an event name, id/retry, CRLF, CR,
# multi-line data, data without the optional space, multi-byte UTF-8, an unknown field and [DONE].
REALISTIC = (
    b": keep-alive\n\n"
    b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'
    b'data: {"choices":[{"delta":{"content":"h\xc3\xa9llo \xf0\x9f\x98\x80"}}]}\r\n\r\n'
    b"id: 7\nretry: 1500\nevent: progress\ndata: line one\ndata:line two\n\n"
    b"foo: unknown field\rdata: after CR\r\r"
    b": comment between\ndata: {}\n\n"
    b"data: [DONE]\n\n"
)
REALISTIC_EVENTS = [
    SSEEvent('{"choices":[{"delta":{"role":"assistant"}}]}'),
    SSEEvent('{"choices":[{"delta":{"content":"héllo 😀"}}]}'),
    SSEEvent("line one\nline two", "progress"),
    SSEEvent("after CR"),
    SSEEvent("{}"),
    SSEEvent("[DONE]"),
]


def split_at(body: bytes, cuts: set[int]) -> list[bytes]:
    return [body[a:b] for a, b in itertools.pairwise([0, *sorted(cuts), len(body)])]


def feed_all(chunks: list[bytes]) -> tuple[list[SSEEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    return events, decoder


def test_realistic_stream_whole() -> None:
    parsed = parse_sse(REALISTIC)
    assert parsed.events == REALISTIC_EVENTS
    assert parsed.problems == []


def test_every_two_piece_split_gives_the_same_events() -> None:
    for i in range(len(REALISTIC) + 1):
        events, decoder = feed_all([REALISTIC[:i], REALISTIC[i:]])
        assert events == REALISTIC_EVENTS, f"split at {i}"
        assert decoder.problems == [], f"split at {i}"


def test_byte_by_byte() -> None:
    events, decoder = feed_all([REALISTIC[i : i + 1] for i in range(len(REALISTIC))])
    assert events == REALISTIC_EVENTS
    assert decoder.problems == []


@given(st.sets(st.integers(0, len(REALISTIC)), max_size=40))
def test_any_split_gives_the_same_events(cuts: set[int]) -> None:
    events, decoder = feed_all(split_at(REALISTIC, cuts))
    assert events == REALISTIC_EVENTS
    assert decoder.problems == []


_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=12)


@given(
    st.lists(st.tuples(st.lists(_TEXT, min_size=1, max_size=3), st.one_of(st.none(), _TEXT)), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.data(),
)
def test_serialised_events_round_trip(
    events: list[tuple[list[str], str | None]], eol: str, data: st.DataObject
) -> None:
    lines: list[str] = []
    for data_lines, name in events:
        if name:
            lines.append(f"event: {name}")
        lines += [f"data: {value}" for value in data_lines]
        lines.append("")
    body = "".join(line + eol for line in lines).encode()
    cuts = data.draw(st.sets(st.integers(0, len(body)), max_size=10))
    got, decoder = feed_all(split_at(body, cuts))
    assert got == [SSEEvent("\n".join(d), n or None) for d, n in events]
    assert decoder.problems == []


def test_comments_only_yield_nothing() -> None:
    assert parse_sse(b": ping\n\n:another\n\n").events == []


def test_optional_space_after_colon_only_one_is_stripped() -> None:
    assert parse_sse(b"data:x\n\ndata:  two spaces\n\ndata\n\n").events == [
        SSEEvent("x"),
        SSEEvent(" two spaces"),
        SSEEvent(""),
    ]


def test_blank_line_without_data_dispatches_nothing_and_resets_the_name() -> None:
    assert parse_sse(b"event: ping\n\ndata: x\n\n").events == [SSEEvent("x")]


def test_missing_final_blank_line_still_yields_the_event_with_a_problem() -> None:
    for body in (b"data: a\n\ndata: b", b"data: a\n\ndata: b\n", b"data: a\r\n\r\ndata: b\r\n"):
        parsed = parse_sse(body)
        assert parsed.events == [SSEEvent("a"), SSEEvent("b")], body
        assert parsed.problems == [UNTERMINATED], body


def test_missing_done_is_not_the_parser_s_business() -> None:
    parsed = parse_sse(b'data: {"a":1}\n\n')
    assert parsed.events == [SSEEvent('{"a":1}')]
    assert parsed.problems == []


def test_invalid_utf8_is_replaced_and_reported_with_its_offset() -> None:
    body = b"data: ok\n\ndata: \xff bad\n\n"
    for i in range(len(body) + 1):
        events, decoder = feed_all([body[:i], body[i:]])
        assert events == [SSEEvent("ok"), SSEEvent("\ufffd bad")], f"split at {i}"
        assert decoder.problems == ["invalid UTF-8 at byte 16"], f"split at {i}"


def test_truncated_utf8_sequence_at_the_end() -> None:
    parsed = parse_sse(b"data: \xc3")
    assert parsed.events == [SSEEvent("\ufffd")]
    assert parsed.problems == ["invalid UTF-8 at byte 6", UNTERMINATED]


def test_unknown_fields_are_ignored_and_garbage_lines_reported() -> None:
    parsed = parse_sse(b'foo: bar\nx-custom\ndata: a\n{"choices": []}\n\n')
    assert parsed.events == [SSEEvent("a")]
    assert parsed.problems == ["line without a field name: '{\"choices\": []}'"]


def test_byte_order_mark_is_stripped_once() -> None:
    assert parse_sse(b"\xef\xbb\xbfdata: a\n\n").events == [SSEEvent("a")]
    events, _ = feed_all([b"\xef", b"\xbb\xbfdata: a\n\n"])
    assert events == [SSEEvent("a")]


def test_invalid_retry_and_nul_id_are_ignored() -> None:
    events, decoder = feed_all([b"retry: soon\nid: a\0b\ndata: x\n\n"])
    assert events == [SSEEvent("x")]
    assert decoder.problems == []


def test_empty_stream() -> None:
    assert parse_sse(b"").events == []
    assert parse_sse(b"").problems == []
