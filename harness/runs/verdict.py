"""What a run's verdict rests on, from its results as written (so a run rebuilt from its JSONL files
is judged exactly as the finished run was): contract totals and verdict, the load error budget and
the reasons a load run fails."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_MAX_ERROR_RATE = 0.05  # the error budget: more failed requests than this fail a load run
# An open loop ending with more in flight than both of these fell behind (a healthy one has about
# rate x latency in flight: a few percent of a run's requests).
UNFINISHED_SLACK, UNFINISHED_SHARE = 5, 0.25
REQUESTS_UNFINISHED = "duration_before_requests"  # a load run's stop reason: --duration ended --requests


def totals_of(families: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Checks per family that passed or failed, and how many times checks were evaluated, from families
    in contract.json's form (so a run rebuilt from findings.jsonl counts the same way)."""
    families = list(families)
    checks = [c for fam in families for c in fam.get("checks", {}).values()]
    failures = [f for fam in families for f in fam.get("failures", [])]
    return {
        "passed": sum(not c.get("failed") for c in checks),
        "failed": sum(bool(c.get("failed")) for c in checks),
        "warned": sum(bool(c.get("warned")) and not c.get("failed") for c in checks),
        "evaluations": sum(c.get("passed", 0) + c.get("failed", 0) + c.get("warned", 0) for c in checks),
        "failure_groups": sum(f.get("status") == "failed" and not f.get("known") for f in failures),
        "known_groups": sum(bool(f.get("known")) for f in failures),
        "warning_groups": sum(f.get("status") == "warning" for f in failures),
        "unsupported": sorted({name for fam in families for name in fam.get("unsupported", {})}),
        "families_skipped": sum(fam.get("status") == "skipped" for fam in families),
    }


def verdict_of(failed: bool, totals: dict[str, int], partial: bool = False) -> str:
    """failed, else partial for a run cut short (what it did not reach was not judged), else passed
    when some check was evaluated, else untested."""
    if failed:
        return "failed"
    if partial:
        return "partial"
    return "passed" if totals["evaluations"] else "untested"


def error_budget(block: dict[str, Any], max_error_rate: float) -> dict[str, Any]:
    rate = block["error_rate"]
    passed = block["successful"] > 0 and (rate or 0.0) <= max_error_rate
    return {"max_error_rate": max_error_rate, "error_rate": rate, "passed": passed}


def fell_behind(results: dict[str, Any]) -> str | None:
    """An open loop that ended with a large share of its requests still in flight fell behind its rate;
    their latencies (at least their age) are in no figure."""
    unfinished = results.get("unfinished") or 0
    started = unfinished + results["requests"]
    if not (results.get("config") or {}).get("open_loop"):
        return None
    if unfinished <= max(UNFINISHED_SLACK, UNFINISHED_SHARE * started):
        return None
    return (
        f"{unfinished} of the {started} requests sent were still waiting for their answers when the run"
        " ended: the target fell behind the rate, and their latencies are in no figure"
    )


def verdict_reasons(results: dict[str, Any]) -> list[str]:
    """Why a run fails, one line each; none: it passed. A run with no successful request always fails."""
    reasons = []
    if not results["requests"]:
        reasons.append("no request was sent")
    elif not results["successful"]:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(results["errors_by_kind"].items()))
        reasons.append(f"no request succeeded: all {results['requests']} failed ({kinds})")
    elif not results["error_budget"]["passed"]:
        budget = results["error_budget"]
        reasons.append(
            f"error rate {budget['error_rate']:.2%} is over the error budget "
            f"(--max-error-rate {budget['max_error_rate']:.2%})"
        )
    if results["stop_reason"] == "target_unreachable":
        reasons.append("the target stopped answering: every connection was refused, so the run was cut")
    if behind := fell_behind(results):
        reasons.append(behind)
    stop = results.get("over_saturated")
    if stop and (results.get("config") or {}).get("shape") != "rate-sweep":  # a sweep looks for it
        reasons.append(
            f"the target could not keep up with the {stop['offered_rps']:g} req/s offered: requests queued"
            f" ({stop['backlog']} waiting) and TTFT climbed, so the run stopped at {stop['at_s']} s"
        )
    if results["stop_reason"] == REQUESTS_UNFINISHED:
        asked = (results.get("config") or {}).get("requests")
        reasons.append(
            f"--duration ended the run after {results['requests']} of the {asked} requests asked (--requests)"
        )
    failed = [v["objective"] for v in results["slo"] if not v["passed"]]
    if failed:
        reasons.append(f"SLO failed: {', '.join(failed)}")
    return reasons


def judge_load(results: dict[str, Any], max_error_rate: float) -> None:
    """Set a load result's error_budget, verdict_reasons and verdict (from its overall figures)."""
    results["error_budget"] = error_budget(results, max_error_rate)
    results["verdict_reasons"] = verdict_reasons(results)
    results["verdict"] = "failed" if results["verdict_reasons"] else "passed"
