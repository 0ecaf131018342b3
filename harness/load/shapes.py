"""Load shapes: how many users run at each moment of a test.

A `Plan` is plain data over time (users N, spawn rate, duration D), so it is tested without Locust:
- fixed: N users for D (ramping up at the spawn rate);
- ramp:  from 1 user up to N, linearly over D (finds where latency starts to climb);
- step:  N/4, N/2, 3N/4, N, each for a quarter of D;
- spike: N/4 for 40% of D, N for the next 20% (spawned within a second), N/4 again to the end;
- sweep: 1, 2, 4, ... doubling up to N, each level for an equal share of D; sweep.py reads the
  throughput-vs-latency table and the saturation knee from its phases.
- rate-sweep: an open-loop sweep, as GuideLLM's: a probe level (N users, closed loop) measures the
  most the target serves, then RATE_LEVELS open-loop levels offer 1/k, 2/k, ... all of it (N arrival
  streams); harness/load/saturation.py sets the rates and watches for over-saturation.

harness/load/locust_shape.py plays a plan in Locust. This module stays free of Locust, whose import
monkey-patches the whole process with gevent: the CLI and the tests import it safely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SHAPES = ("fixed", "ramp", "step", "spike", "sweep", "rate-sweep")
PHASED_SHAPES = ("step", "spike", "sweep", "rate-sweep")  # the shapes with steady levels reported as phases
RATE_SWEEP = "rate-sweep"
RATE_LEVELS = 5  # the rate sweep's open-loop levels after its probe


@dataclass(frozen=True)
class Phase:
    start: float  # seconds since the test started
    end: float
    users: int
    share: float | None = None  # rate-sweep: the share of the probe's throughput offered (None: closed loop)


@dataclass(frozen=True)
class Plan:
    shape: str
    users: int
    spawn_rate: float
    duration: float  # seconds

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"unknown shape {self.shape!r}; choose from {', '.join(SHAPES)}")
        if self.users < 1 or self.spawn_rate <= 0 or not 0 < self.duration < math.inf:
            raise ValueError("a plan needs users >= 1, a positive spawn rate and a finite positive duration")

    @property
    def phases(self) -> list[Phase]:
        """The steady levels of the plan, in order (one for fixed, none for the continuous ramp)."""
        if self.shape == "fixed":
            return [Phase(0.0, self.duration, self.users)]
        if self.shape == "ramp":
            return []
        if self.shape == "spike":
            base = max(1, self.users // 4)
            d = self.duration
            return [Phase(0.0, 0.4 * d, base), Phase(0.4 * d, 0.6 * d, self.users), Phase(0.6 * d, d, base)]
        if self.shape == RATE_SWEEP:
            width = self.duration / (RATE_LEVELS + 1)
            shares = [None, *(i / RATE_LEVELS for i in range(1, RATE_LEVELS + 1))]
            return [Phase(i * width, (i + 1) * width, self.users, share) for i, share in enumerate(shares)]
        levels = _step_levels(self.users) if self.shape == "step" else _sweep_levels(self.users)
        width = self.duration / len(levels)
        return [Phase(i * width, (i + 1) * width, n) for i, n in enumerate(levels)]

    def at(self, elapsed: float) -> tuple[int, float] | None:
        """(users, spawn rate) at `elapsed` seconds, or None once the plan is over."""
        if elapsed >= self.duration:
            return None
        if self.shape in ("fixed", RATE_SWEEP):  # a rate sweep varies the rate, not the users
            return self.users, self.spawn_rate
        if self.shape == "ramp":
            return max(1, math.ceil(self.users * elapsed / self.duration)), self.spawn_rate
        for phase in self.phases:
            if elapsed < phase.end:
                # Level changes happen within about a second, so each phase measures its own level.
                return phase.users, max(self.spawn_rate, float(phase.users))
        return None


def steady_seconds(phase: Phase) -> list[int]:
    """The whole seconds inside a phase, its first one (the level change) left out when the phase
    lasts three seconds or more: what a phase's figures are measured over."""
    seconds = list(range(math.ceil(phase.start), math.floor(phase.end + 1e-9)))
    return seconds[1:] if len(seconds) >= 3 else seconds


def _step_levels(users: int) -> list[int]:
    steps = min(4, users)
    return sorted({max(1, round(users * (i + 1) / steps)) for i in range(steps)})


def _sweep_levels(users: int) -> list[int]:
    levels = [1]
    while levels[-1] * 2 < users:
        levels.append(levels[-1] * 2)
    if levels[-1] != users:
        levels.append(users)
    return levels


def plan_from_options(options: Any) -> Plan:
    """The plan of a Locust run: --shape, and Locust's own -u, -r and -t."""
    if not options.run_time:
        raise ValueError("a load shape needs a finite --run-time (-t)")
    users = options.num_users or 1
    return Plan(options.shape, users, options.spawn_rate or float(users), float(options.run_time))
