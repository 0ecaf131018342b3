"""What a contract run found: per family and check, counts and failures. Plain data, JSON-ready."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Failure:
    """One contract violation, with everything needed to reproduce it."""

    check: str
    family: str
    message: str
    path: str
    request: dict[str, Any]  # method, path, body (no token ever)
    response: dict[str, Any]  # status, content_type, excerpt
    curl: str
    note: str = ""  # what the request varied on purpose (invalid and auth cases)
    shrunk: bool = False  # True when this is the minimal request Hypothesis shrank the failure to


@dataclass
class CheckTally:
    passed: int = 0
    failed: int = 0


@dataclass
class FamilyResult:
    family: str
    status: str = "passed"  # passed | failed | skipped
    reason: str = ""  # why it was skipped
    requests: int = 0
    checks: dict[str, CheckTally] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)  # observed response shapes (shapes.py)

    def tally(self, check: str) -> CheckTally:
        return self.checks.setdefault(check, CheckTally())

    def skip(self, reason: str) -> None:
        self.status, self.reason = "skipped", reason
        self.checks.clear()
        self.failures.clear()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "requests": self.requests,
            "checks": {c: {"passed": t.passed, "failed": t.failed} for c, t in self.checks.items()},
            "failures": [asdict(f) for f in self.failures],
        }


def totals_of(families: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Checks per family that passed or failed, and how many times checks were evaluated, from families
    in contract.json's form (so a run rebuilt from findings.jsonl counts the same way)."""
    families = list(families)
    checks = [c for fam in families for c in fam.get("checks", {}).values()]
    return {
        "passed": sum(not c.get("failed") for c in checks),
        "failed": sum(bool(c.get("failed")) for c in checks),
        "evaluations": sum(c.get("passed", 0) + c.get("failed", 0) for c in checks),
        "families_skipped": sum(fam.get("status") == "skipped" for fam in families),
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

    @property
    def failed(self) -> bool:
        return any(f.status == "failed" for f in self.families.values())

    def totals(self) -> dict[str, int]:
        return totals_of(fam.to_dict() for fam in self.families.values())

    def to_dict(self) -> dict[str, Any]:
        families = {name: fam.to_dict() for name, fam in self.families.items()}
        return {
            "tool": "servecheck",
            "target": self.target,
            "seed": self.seed,
            "schemas": self.schemas,
            "verdict": "failed" if self.failed else "passed",
            "partial": self.partial,
            "stop_reason": self.stop_reason,
            "signal": self.signal,
            "elapsed_s": round(self.elapsed, 3),
            "requests": self.requests,
            "totals": totals_of(families.values()),
            "families": families,
        }
