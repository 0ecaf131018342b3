"""Baselines: the failure groups a team already knows about, so CI fails only on new ones.

A baseline is a previous run's contract.json (or its run folder), or the smaller known-failures file
`servecheck baseline` writes from one. Groups match by signature (harness/contract/groups.py), which
does not depend on the seed or on values in the messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from harness.contract.results import ContractResult
from harness.runs import layout
from harness.targets import ConfigError

BASELINE_KIND = "servecheck-baseline"
KEPT = ("signature", "code", "family", "check", "level", "message", "path", "count")


def _failures(contract: dict[str, Any]) -> list[dict[str, Any]]:
    families = contract.get("families")
    if not isinstance(families, dict):
        raise ValueError("it has no families")
    return [
        f
        for fam in families.values()
        if isinstance(fam, dict)
        for f in fam.get("failures", [])
        if isinstance(f, dict) and f.get("signature") and f.get("status", "failed") == "failed"
    ]


def baseline_document(contract: dict[str, Any]) -> dict[str, Any]:
    """The known-failures file of a contract.json: one entry per failure group, no requests or bodies."""
    entries = [{key: f.get(key) for key in KEPT} for f in _failures(contract)]
    return {"kind": BASELINE_KIND, "tool": "servecheck", "seed": contract.get("seed"), "failures": entries}


def read_baseline(path: Path, flag: str = "--baseline") -> dict[str, Any]:
    """The known-failures document of `path`: a baseline file, a contract.json or a contract run folder.
    ConfigError (one line) for anything else."""
    source = path / layout.CONTRACT if path.is_dir() else path
    try:
        data = orjson.loads(source.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not JSON ({exc})"
        raise ConfigError(f"{flag} {path}: cannot be read: {reason}") from None
    try:
        if not isinstance(data, dict):
            raise ValueError("it is not a JSON object")
        if data.get("kind") == BASELINE_KIND:
            if not all(isinstance(f, dict) and f.get("signature") for f in data.get("failures", [])):
                raise ValueError("a failure has no signature")
            return data
        return baseline_document(data)
    except ValueError as exc:
        raise ConfigError(
            f"{flag} {path}: not a contract.json or a `servecheck baseline` file ({exc})"
        ) from None


def known_signatures(document: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(f["signature"]) for f in document["failures"])


def compare(result: ContractResult, known: frozenset[str], source: Path) -> dict[str, Any]:
    """What the run says against the baseline: groups known and new, and known groups not seen again in
    a family this run judged (fixed, or at least not reproduced)."""
    seen = {f.signature for fam in result.families.values() for f in fam.failures if f.status == "failed"}
    judged = {name for name, fam in result.families.items() if fam.status in ("passed", "failed")}
    fixed = sorted(s for s in known - seen if s.split(" | ", 1)[0] in judged)
    return {
        "file": str(source),
        "known": len(seen & known),
        "new": len(seen - known),
        "fixed": fixed,
    }
