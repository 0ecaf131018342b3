"""Transport checks: status class, media type and body syntax."""

from __future__ import annotations

from payloads import (
    chat_request,
    chat_response,
    exchange,
    fails,
    openai_error,
    passes,
    skips,
    sse,
    stream_exchange,
)

OK = chat_response()


def test_status_passes_a_complete_2xx() -> None:
    passes("transport.status", exchange("chat", chat_request(), OK))


def test_status_fails_a_server_error_and_a_not_found() -> None:
    fails(
        "transport.status", exchange("chat", chat_request(), openai_error(), status=500), "2xx", "status 500"
    )
    fails("transport.status", exchange("chat", chat_request(), openai_error(), status=404), "status 404")


def test_status_fails_a_transport_error_even_after_a_200() -> None:
    lost = exchange("chat", chat_request(), None, status=0, error="connection error: refused")
    fails("transport.status", lost, "no response (connection error: refused)")
    cut = exchange("chat", chat_request(), OK, error="timeout: response not complete")
    fails("transport.status", cut, "status 200, then timeout")


def test_status_judges_only_valid_requests() -> None:
    skips(
        "transport.status",
        exchange("errors", chat_request(), openai_error(), status=400, expect="client_error"),
    )


def test_content_type_passes_json_and_event_stream() -> None:
    passes(
        "transport.content_type",
        exchange("chat", chat_request(), OK, content_type="application/json; charset=utf-8"),
    )
    passes("transport.content_type", stream_exchange("stream", chat_request(), [OK]))


def test_content_type_fails_plain_text_json() -> None:
    fails(
        "transport.content_type",
        exchange("chat", chat_request(), OK, content_type="text/plain"),
        "expected Content-Type application/json, got text/plain",
    )


def test_content_type_fails_a_2xx_stream_sent_as_json() -> None:
    ex = exchange("stream", chat_request(stream=True), OK)
    fails("transport.content_type", ex, "expected Content-Type text/event-stream, got application/json")


def test_content_type_expects_json_for_an_error_to_a_stream_request() -> None:
    error = exchange("errors", chat_request(stream=True), openai_error(), status=400, expect="client_error")
    passes("transport.content_type", error)
    fails(
        "transport.content_type",
        exchange("errors", chat_request(), openai_error(), status=400, content_type=""),
    )


def test_content_type_ignores_5xx_and_empty_bodies() -> None:
    skips("transport.content_type", exchange("chat", chat_request(), openai_error(), status=502))
    skips("transport.content_type", exchange("chat", chat_request(), None, status=200))


def test_body_parses_fails_broken_json() -> None:
    passes("transport.body_parses", exchange("chat", chat_request(), OK))
    broken = exchange("chat", chat_request(), None, raw=b'{"id": "x",')
    fails("transport.body_parses", broken, "expected a JSON body")


def test_body_parses_fails_an_event_whose_data_is_not_json() -> None:
    body = sse([OK]).replace(b"data: [DONE]", b"data: {not json}\n\ndata: [DONE]")
    failure = fails("transport.body_parses", stream_exchange("stream", chat_request(), body), "{not json}")
    assert failure.path == "events[1]"


def test_body_parses_accepts_done() -> None:
    passes("transport.body_parses", stream_exchange("stream", chat_request(), [OK, OK]))
