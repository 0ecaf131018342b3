"""A run turned into what the reports show: verdicts, per-family check rows, failures with anchors,
key percentiles. Shared by the HTML page and the Markdown summary so both say the same thing."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from harness.render.html import anchor
from harness.runs.load_notes import load_notes
from harness.runs.metrics import DISTRIBUTIONS
from harness.runs.read import RunData

STATUS_CSS = {"passed": "pass", "failed": "fail", "skipped": "skip", "unsupported": "skip", "partial": "skip"}

LABELS = {m.key: m.label for m in DISTRIBUTIONS.values()}


def failure_anchor(family: str, check: str) -> str:
    return "fail-" + anchor(f"{family}-{check}")


def contract_view(contract: dict[str, Any]) -> dict[str, Any]:
    families = []
    for name, fam in contract.get("families", {}).items():
        checks = [
            {"name": check, **counts, "anchor": failure_anchor(name, check)}
            for check, counts in fam.get("checks", {}).items()
        ]
        failures, seen = [], Counter()
        for failure in fam.get("failures", []):
            check = failure.get("check", "")
            nth = seen[check]  # a check's later failure groups: anchors of their own
            seen[check] += 1
            label = (
                "KNOWN" if failure.get("known") else {"warning": "WARN"}.get(failure.get("status"), "FAIL")
            )
            failures.append(
                {
                    **failure,
                    "label": label,
                    "anchor": failure_anchor(name, check) + (f"-{nth}" if nth else ""),
                    "request_text": orjson.dumps(
                        failure.get("request", {}).get("body"), option=orjson.OPT_INDENT_2
                    ).decode(),
                }
            )
        families.append(
            {
                "name": name,
                "status": fam.get("status", "unknown"),
                "css": STATUS_CSS.get(fam.get("status", ""), "skip"),
                "reason": fam.get("reason", ""),
                "requests": fam.get("requests", 0),
                "passed": sum(1 for c in checks if not c.get("failed")),
                "failed": sum(1 for c in checks if c.get("failed")),
                "checks": checks,
                "failures": failures,
                "unsupported": fam.get("unsupported") or {},
                "unjudged": fam.get("unjudged") or {},
            }
        )
    verdict = contract.get("verdict", "unknown")
    return {
        "verdict": verdict,
        "verdict_class": STATUS_CSS.get(verdict, "skip"),
        "totals": contract.get("totals", {}),
        "requests": contract.get("requests", 0),
        "seed": contract.get("seed"),
        "level": contract.get("level"),
        "baseline": contract.get("baseline"),
        "families": families,
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _scenarios(load: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario of a mix: its totals and p50/p95 latency and TTFT."""
    rows = []
    for name, block in load["scenarios"].items():
        latency = block.get("metrics", {}).get("latency_ms", {})
        ttft = block.get("metrics", {}).get("ttft_ms", {})
        cells = [latency.get("p50"), latency.get("p95"), ttft.get("p50"), ttft.get("p95")]
        rows.append({"name": name, **block, "cells": [_fmt(v) for v in cells]})
    return rows


def load_view(load: dict[str, Any]) -> dict[str, Any]:
    metrics = [
        {
            "key": key,
            "name": LABELS.get(key, key),
            "count": stats.get("count", 0),
            "cells": [_fmt(stats.get(k)) for k in ("mean", "p50", "p90", "p95", "p99", "max")],
            "stats": stats,
        }
        for key, stats in load.get("metrics", {}).items()
        if stats.get("count")
    ]
    # A run without a verdict (an older load.json) passes only on its SLOs and a request that succeeded.
    passed = load.get("verdict", "passed" if load.get("slo_passed") and load.get("requests") else "failed")
    passed = passed == "passed"
    slo = load.get("slo") or []
    slo_text = ("SLOs passed" if load.get("slo_passed") else "SLOs failed") if slo else "no SLOs set"
    return {
        "verdict": ("passed" if passed else "failed") + f" ({slo_text})",
        "verdict_class": "pass" if passed else "fail",
        "passed": passed,
        "reasons": load.get("verdict_reasons") or [],
        "error_budget": load.get("error_budget"),
        "requests": load.get("requests", 0),
        "errors": load.get("errors", 0),
        "error_rate": load.get("error_rate") or 0.0,
        "rps": load.get("rps", 0.0),
        "output_tokens_per_s": load.get("output_tokens_per_s", 0.0),
        "elapsed_s": load.get("elapsed_s", 0.0),
        "settings": run_settings(load),
        "slo": load.get("slo") or [],
        "metrics": metrics,
        "scenarios": _scenarios(load) if len(load.get("scenarios") or {}) > 1 else [],
        "phases": load.get("phases") or [],
        "knee": load.get("knee"),
        "notes": load_notes(load),
        "errors_by_kind": load.get("errors_by_kind") or {},
        "error_samples": [
            (kind, detail)
            for kind, details in (load.get("error_samples") or {}).items()
            for detail in details[:3]
        ],
    }


def run_settings(load: dict[str, Any]) -> list[tuple[str, str]]:
    """What the load run was, as (setting, value) rows: what its figures depend on."""
    config = load.get("config") or {}
    target = load.get("target") or {}
    rows = [
        ("target", f"embedded mock ({target.get('mock_profile')} profile)" if target.get("embedded_mock")
         else str(config.get("host") or "")),
        ("model", str(config.get("model") or "")),
        ("Locust user classes", ", ".join(config.get("user_classes") or [])),
        ("users", str(config.get("users") or "")),
        ("shape", f"{config.get('shape')}, {config.get('duration_s')} s"),
    ]  # fmt: skip
    if loop := config.get("open_loop"):
        rows.append(
            ("open loop", f"{loop['rate']:g} req/s, {loop['arrivals']}, burstiness {loop['burstiness']:g}")
        )
    rows += [
        ("input tokens", str(config.get("input_tokens"))),
        ("output tokens", str(config.get("output_tokens"))),
    ]
    dataset = config.get("dataset") or ("jsonl" if config.get("prompts") else "synthetic")
    rows.append(("dataset", dataset + (f" ({config['prompts']})" if config.get("prompts") else "")))
    if (config.get("turns") or 1) > 1:
        rows.append(("turns per conversation", str(config["turns"])))
    if prefix := config.get("shared_prefix"):
        rows.append(("shared prefix", f"{prefix['tokens']} tokens, {prefix['groups']} different"))
    rows.append(("tokenizer", str(config.get("tokenizer") or "o200k_base")))
    if config.get("goodput"):
        rows.append(("goodput objectives", ", ".join(f"{k}<={v:g}" for k, v in config["goodput"].items())))
    if config.get("warmup") or config.get("cooldown_s"):
        rows.append(
            ("left out", f"warm-up {config.get('warmup') or 0}, cool-down {config.get('cooldown_s') or 0} s")
        )
    rows.append(("seed", str(config.get("seed"))))
    return [(name, value) for name, value in rows if value]


def run_view(run: RunData) -> dict[str, Any]:
    """The context both report formats render."""
    meta = run.meta or {}
    contract = contract_view(run.contract) if run.contract else None
    load = load_view(run.load) if run.load else None
    failed = (contract and contract["verdict"] != "passed") or (load and not load["passed"])
    target_info = meta.get("target") or (run.contract or run.load or {}).get("target") or {}
    if target_info.get("embedded_mock"):
        target = "the embedded mock"
    else:
        target = str(
            target_info.get("base_url") or (run.load or {}).get("config", {}).get("host") or "unknown"
        )
    return {
        "title": f"servecheck report: {run.path.name}",
        "verdict": "fail" if failed else "pass",
        "kinds": [k for k, v in (("contract", contract), ("load", load)) if v],
        "target": target,
        "started": meta.get("started_at", "unknown"),
        "schemas": meta.get("schemas") or (run.contract or {}).get("schemas") or "unknown",
        "commit": meta.get("schemas_commit"),
        "tool": f"servecheck {meta['version']}" if meta.get("version") else "servecheck",
        "partial_notes": run.partial_notes,
        "contract": contract,
        "load": load,
    }
