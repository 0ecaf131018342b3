"""What a contract run found: per family and check, counts and failures. Plain data, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from harness.runs.verdict import totals_of, verdict_of


@dataclass
class Failure:
    """One failure group: a distinct deviation, how often it was seen, and its first example (shrunk
    to a minimal request when it reproduced), with everything needed to reproduce it."""

    check: str
    family: str
    message: str
    path: str
    request: dict[str, Any]  # method, path, body (no token ever)
    response: dict[str, Any]  # status, content_type, excerpt
    curl: str
    note: str = ""  # what the request varied on purpose (invalid and auth cases)
    shrunk: bool = False  # True when this is the minimal request Hypothesis shrank the failure to
    code: str = ""  # the check's stable code, e.g. SC-STREAM-DONE (`servecheck explain CODE`)
    level: str = ""  # the check's level: spec, compat or strict
    signature: str = ""  # the group's stable signature (harness/contract/groups.py)
    count: int = 1  # exchanges that failed this way
    status: str = "failed"  # "failed", or "warning" when the run's --level does not enforce the check
    known: bool = False  # in the --baseline: reported, but it does not fail the run


@dataclass
class CheckTally:
    passed: int = 0
    failed: int = 0
    warned: int = 0  # failures of a check the run's --level does not enforce


@dataclass
class Unsupported:
    """An optional feature the target cleanly declined (a 4xx envelope naming the parameter)."""

    count: int
    status: int
    message: str
    request: dict[str, Any]


@dataclass
class FamilyResult:
    family: str
    status: str = "passed"  # passed | failed | skipped | unsupported | partial (cut short, not failed)
    reason: str = ""  # why it was skipped or unsupported
    requests: int = 0
    checks: dict[str, CheckTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    unsupported: dict[str, Unsupported] = field(default_factory=dict)  # by feature (families/features.py)
    unjudged: dict[str, str] = field(default_factory=dict)  # check -> why it had nothing to judge
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)  # observed response shapes (shapes.py)

    def tally(self, check: str) -> CheckTally:
        return self.checks.setdefault(check, CheckTally())

    def skip(self, reason: str) -> None:
        self.status, self.reason = "skipped", reason
        self.checks.clear()
        self.failures.clear()
        self.unjudged.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "requests": self.requests,
            "checks": {c: asdict(t) for c, t in self.checks.items()},
            "unsupported": {name: asdict(u) for name, u in self.unsupported.items()},
            "unjudged": dict(self.unjudged),
            "failures": [asdict(f) for f in self.failures],
        }


@dataclass
class ContractResult:
    target: dict[str, Any]
    seed: int
    schemas: str  # fingerprint of the schema set
    families: dict[str, FamilyResult] = field(default_factory=dict)
    requests: int = 0
    elapsed: float = 0.0
    partial: bool = False  # the run stopped early (budget spent or interrupted)
    stop_reason: str = ""
    signal: str = ""  # "SIGINT" or "SIGTERM" when a signal stopped the run
    level: str = "compat"  # the --level the run was held to
    baseline: dict[str, Any] | None = None  # against --baseline: known, new and fixed groups

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.families.values())

    @property
    def verdict(self) -> str:
        """ "untested" when no check was evaluated at all, "partial" when the run was cut short: nothing
        may say PASSED that was not judged whole."""
        return verdict_of(self.failed, self.totals(), self.partial)

    def skip_reasons(self) -> str:
        """Why each family went untested, for the "nothing was tested" error."""
        return "; ".join(f"{name}: {fam.reason or fam.status}" for name, fam in self.families.items())

    def totals(self) -> dict[str, int]:
        return totals_of(fam.to_dict() for fam in self.families.values())

    def to_dict(self) -> dict[str, Any]:
        families = {name: fam.to_dict() for name, fam in self.families.items()}
        return {
            "tool": "servecheck",
            "target": self.target,
            "seed": self.seed,
            "schemas": self.schemas,
            "verdict": self.verdict,
            "partial": self.partial,
            "stop_reason": self.stop_reason,
            "signal": self.signal,
            "elapsed_s": round(self.elapsed, 3),
            "requests": self.requests,
            "level": self.level,
            "baseline": self.baseline,
            "totals": totals_of(families.values()),
            "families": families,
        }
