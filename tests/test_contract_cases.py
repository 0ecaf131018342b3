"""Shrinking a failing case (harness/contract/cases.py): minimal, reproducible, and bounded."""

from __future__ import annotations

from hypothesis import strategies as st

from harness.contract.cases import shrink

NUMBERS = st.lists(st.integers(0, 10_000), min_size=1, max_size=20)
TEXTS = st.lists(st.text(), min_size=1, max_size=30)


def _counting(strategy: st.SearchStrategy[list]) -> tuple[st.SearchStrategy[list], list[int]]:
    drawn: list[int] = []

    def seen(value: list) -> list:
        drawn.append(1)
        return value

    return strategy.map(seen), drawn


def test_a_failure_shrinks_to_a_minimal_value() -> None:
    found = shrink(NUMBERS, 20, seed=1, fails=lambda xs: sum(xs) >= 1000, budget=500)
    assert found is not None and sum(found) == 1000 and len(found) == 1


def test_shrinking_stops_drawing_once_its_budget_is_spent() -> None:
    """The budget bounds the work, not only the calls that cost a request: past it, Hypothesis must not
    go on drawing cases that are never sent (seconds of CPU per failure group)."""
    strategy, drawn = _counting(TEXTS)
    calls: list[int] = []

    def fails(texts: list[str]) -> bool:
        calls.append(1)
        return sum(map(len, texts)) >= 20

    found = shrink(strategy, 20, seed=1, fails=fails, budget=12)
    assert found is not None and sum(map(len, found)) >= 20  # the smallest seen within the budget
    assert len(calls) == 12
    assert len(drawn) <= 12 + 2, len(drawn)  # the one the budget check turns away (273 before the fix)


def test_a_failure_that_does_not_reproduce_gives_none() -> None:
    assert shrink(NUMBERS, 20, seed=1, fails=lambda xs: False, budget=30) is None
