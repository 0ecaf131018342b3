"""Load shapes as plain plans over time."""

from __future__ import annotations

import argparse

import pytest

from harness.load.shapes import Plan, plan_from_options


def users_over(plan: Plan, step: float = 0.5) -> list[int | None]:
    out = []
    t = 0.0
    while t < plan.duration + 1:
        tick = plan.at(t)
        out.append(tick[0] if tick else None)
        t += step
    return out


def test_fixed_holds_its_users_and_spawn_rate_then_ends() -> None:
    plan = Plan("fixed", 10, 2.0, 5)
    assert plan.at(0) == (10, 2.0)
    assert plan.at(4.99) == (10, 2.0)
    assert plan.at(5.0) is None


def test_ramp_climbs_linearly_to_all_users() -> None:
    plan = Plan("ramp", 10, 5.0, 10)
    counts = [c for c in users_over(plan, 0.25) if c is not None]
    assert counts[0] == 1 and counts[-1] == 10
    assert counts == sorted(counts)
    assert plan.phases == []


def test_step_has_four_equal_levels() -> None:
    plan = Plan("step", 8, 1.0, 20)
    assert [(p.start, p.end, p.users) for p in plan.phases] == [
        (0, 5, 2),
        (5, 10, 4),
        (10, 15, 6),
        (15, 20, 8),
    ]
    assert plan.at(12) == (6, 6.0)  # a new level is spawned within about a second


def test_spike_goes_up_and_back_down() -> None:
    plan = Plan("spike", 20, 1.0, 10)
    assert [p.users for p in plan.phases] == [5, 20, 5]
    assert plan.at(1)[0] == 5 and plan.at(5)[0] == 20 and plan.at(9)[0] == 5


@pytest.mark.parametrize(
    ("users", "levels"), [(1, [1]), (4, [1, 2, 4]), (6, [1, 2, 4, 6]), (16, [1, 2, 4, 8, 16])]
)
def test_sweep_doubles_up_to_the_users(users: int, levels: list[int]) -> None:
    plan = Plan("sweep", users, 1.0, 30)
    assert [p.users for p in plan.phases] == levels
    assert plan.phases[-1].end == 30


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shape": "zigzag", "users": 1, "spawn_rate": 1, "duration": 5},
        {"shape": "fixed", "users": 0, "spawn_rate": 1, "duration": 5},
        {"shape": "fixed", "users": 1, "spawn_rate": 1, "duration": float("inf")},
        {"shape": "fixed", "users": 1, "spawn_rate": 0, "duration": 5},
    ],
)
def test_bad_plans_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        Plan(**kwargs)


def test_plan_from_locust_options_needs_a_run_time() -> None:
    options = argparse.Namespace(shape="step", num_users=4, spawn_rate=None, run_time=None)
    with pytest.raises(ValueError, match="run-time"):
        plan_from_options(options)
    options.run_time = 8
    assert plan_from_options(options) == Plan("step", 4, 4.0, 8.0)
