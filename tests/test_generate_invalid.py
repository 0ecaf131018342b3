"""Every invalid case breaks exactly what its note says: the request schema rejects it, except the
semantic ones, which the schema accepts and only a server can refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.generate import Case, bad_image_cases, invalid_cases
from harness.generate.invalid import BAD_IMAGES, MUTATIONS, UNKNOWN_MODEL, _image_mutation, _mutated
from harness.generate.valid import valid_cases
from harness.schemas.registry import registry

MODEL, EMBED = "chat-model", "embed-model"
MODELS = {"chat": MODEL, "tools": MODEL, "structured": MODEL, "embeddings": EMBED}


def check_invalid(case: Case, family: str = "errors") -> None:
    assert case.family == family and case.expect == "client_error" and case.note
    valid = registry().is_valid(case.schema, case.body)
    if case.semantic:
        assert valid, f"semantic case should pass the schema: {case.note}"
    else:
        assert not valid, f"schema accepted an invalid case: {case.note}"


@pytest.mark.parametrize(
    ("family", "mutate", "semantic"), MUTATIONS, ids=[m.__name__ for _, m, _ in MUTATIONS]
)
def test_each_mutation_breaks_its_request(family: str, mutate, semantic: bool) -> None:
    @settings(max_examples=5, deadline=None)
    @given(_mutated(valid_cases(family, MODELS[family]), mutate, semantic=semantic))
    def check(case: Case) -> None:
        check_invalid(case)

    check()


def test_only_the_unknown_model_and_the_undeclared_tool_choice_are_semantic() -> None:
    semantic = sorted(m.__name__ for _, m, only_a_server_knows in MUTATIONS if only_a_server_knows)
    assert semantic == ["_undeclared_tool_choice", "_unknown_model"]


@settings(max_examples=40, deadline=None)
@given(invalid_cases(MODEL, EMBED))
def test_invalid_cases(case: Case) -> None:
    check_invalid(case)
    assert case.body.get("model") in (MODEL, EMBED, UNKNOWN_MODEL)


@settings(max_examples=30, deadline=None)
@given(invalid_cases(MODEL, None))
def test_without_an_embedding_model_there_are_no_embeddings_cases(case: Case) -> None:
    assert case.kind == "chat"


@pytest.mark.parametrize(("url", "note", "semantic"), BAD_IMAGES, ids=[note for _, note, _ in BAD_IMAGES])
def test_each_bad_image_breaks_a_vision_request(url: str, note: str, semantic: bool) -> None:
    @settings(max_examples=3, deadline=None)
    @given(
        _mutated(valid_cases("vision", MODEL), _image_mutation(url, note), family="vision", semantic=semantic)
    )
    def check(case: Case) -> None:
        check_invalid(case, family="vision")
        user = case.body["messages"][-1]
        assert url in [part["image_url"]["url"] for part in user["content"] if part["type"] == "image_url"]

    check()


@settings(max_examples=10, deadline=None)
@given(bad_image_cases(MODEL))
def test_bad_image_cases(case: Case) -> None:
    check_invalid(case, family="vision")


@given(st.data())
@settings(max_examples=5, deadline=None)
def test_mutations_leave_the_valid_case_untouched(data: st.DataObject) -> None:
    base = data.draw(valid_cases("chat", MODEL))
    before = repr(base.body)
    _, mutate, _ = MUTATIONS[0]
    data.draw(_mutated(st.just(base), mutate))
    assert repr(base.body) == before
