"""Failure signatures: the same deviation with other values is one group; another cause is another."""

from __future__ import annotations

import orjson

from harness.contract.groups import general_path, signature, without_values
from harness.wire.exchange import Exchange, Request, Response


def exchange(status: int = 200, body: object = None, note: str = "", expect: str = "success") -> Exchange:
    raw = orjson.dumps(body) if body is not None else b""
    response = Response(status, {"content-type": "application/json"}, raw, json=body)
    return Exchange("chat", Request("POST", "/chat/completions", {}), response, expect, note=note)


def test_values_are_dropped_but_statuses_kept() -> None:
    assert without_values("expected 3 choices, got 1") == without_values("expected 2 choices, got 5")
    assert without_values("got 'abc' at 0.5s") == "got … at N"
    assert without_values("got status 502") != without_values("got status 503")
    assert general_path("events[3].choices[12].delta") == "events[].choices[].delta"


def test_one_deviation_with_other_values_is_one_group() -> None:
    a = signature("chat", "chat.usage", exchange(), "total 9 + 1 = 10, got 11", "$.usage")
    b = signature("chat", "chat.usage", exchange(), "total 44 + 9 = 53, got 54", "$.usage")
    assert a == b


def test_another_mutation_family_path_or_server_cause_is_another_group() -> None:
    base = signature("errors", "negative.status", exchange(note="max_tokens is a string"), "accepted", "$")
    others = [
        signature("errors", "negative.status", exchange(note="temperature out of range"), "accepted", "$"),
        signature("chat", "negative.status", exchange(note="max_tokens is a string"), "accepted", "$"),
        signature("errors", "negative.status", exchange(note="max_tokens is a string"), "accepted", "$.n"),
    ]
    assert len({base, *others}) == 4
    cache = exchange(500, {"error": {"message": "cache node 3 unreachable"}})
    tokenizer = exchange(500, {"error": {"message": "tokenizer failed on input 7"}})
    again = exchange(500, {"error": {"message": "cache node 9 unreachable"}})
    sig = [
        signature("chat", "transport.status", ex, "got status 500", "$") for ex in (cache, tokenizer, again)
    ]
    assert sig[0] != sig[1] and sig[0] == sig[2]
    databricks = exchange(500, {"error_code": "INTERNAL_ERROR", "message": "model crashed"})
    assert "model crashed" in signature("chat", "transport.status", databricks, "got status 500", "$")
