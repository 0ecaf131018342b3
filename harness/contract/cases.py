"""Drawing request cases from Hypothesis strategies, and shrinking a failing one, reproducibly by seed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from harness.interrupt import check_stop

T = TypeVar("T")


def _settings(examples: int, phases: list[Phase]) -> settings:
    return settings(
        max_examples=examples,
        phases=phases,
        database=None,  # a run depends on its seed only, never on what an earlier run saved
        deadline=None,
        derandomize=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


def draw(strategy: st.SearchStrategy[T], examples: int, seed: int) -> list[T]:
    """The first `examples` values Hypothesis generates for `strategy` under `seed` (no network)."""
    drawn: list[T] = []

    @hypothesis.seed(seed)
    @_settings(examples, [Phase.generate])
    @given(strategy)
    def collect(value: T) -> None:
        check_stop()
        drawn.append(value)

    collect()
    check_stop()
    return drawn


class _Reproduced(Exception):
    pass


class _Spent(BaseException):
    """The shrinking's budget is spent: a BaseException, so Hypothesis does not take it for a failure to
    shrink but lets it end the search (else its shrinker goes on drawing values nobody sends, seconds of
    CPU per failure group)."""


def shrink(
    strategy: st.SearchStrategy[T], examples: int, seed: int, fails: Callable[[T], bool], budget: int
) -> T | None:
    """Replay the seeded generation until `fails` holds, then let Hypothesis shrink to a minimal value.

    `fails` is called at most `budget` times (each call may cost a request); the smallest failing value
    seen is returned, or None when the failure did not reproduce within the budget. An exception from
    `fails` (the caller's own stop, such as a spent request budget) ends the shrinking and is re-raised.
    """
    smallest: list[T] = []
    stopped: list[Exception] = []
    calls = 0

    @hypothesis.seed(seed)
    @_settings(examples, [Phase.generate, Phase.shrink])
    @given(strategy)
    def probe(value: T) -> None:
        nonlocal calls
        check_stop()
        if calls >= budget or stopped:
            raise _Spent
        calls += 1
        try:
            failed = fails(value)
        except Exception as exc:  # not a finding for Hypothesis to shrink: stop asking
            stopped.append(exc)
            return
        if failed:
            smallest.append(value)
            raise _Reproduced

    # Hypothesis replays the smallest failure at the end: if that is past the budget, it ends as spent.
    with contextlib.suppress(_Reproduced, _Spent, hypothesis.errors.HypothesisException, BaseExceptionGroup):
        probe()
    if stopped:
        raise stopped[0]
    return smallest[-1] if smallest else None
