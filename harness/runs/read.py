"""A run folder read back whole, for a report or a diff: contract.json and/or load.json, or, when the
process was killed before writing them, what its JSONL files kept
(findings.jsonl, live.jsonl, samples.jsonl)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from harness.paths import RUN_SCHEMAS_DIR
from harness.runs import layout
from harness.runs.files import RunDirError, iter_jsonl, read_json, read_jsonl
from harness.runs.metrics import DISTRIBUTIONS, PERCENTILES
from harness.runs.verdict import DEFAULT_MAX_ERROR_RATE, judge_load, totals_of, verdict_of
from harness.schemas.registry import SchemaRegistry

__all__ = ["RunData", "RunDirError", "read_run"]

SAMPLED = tuple(m.key for m in DISTRIBUTIONS.values() if m.sampled)  # in samples.jsonl


@dataclass
class RunData:
    path: Path
    meta: dict[str, Any] | None  # run.json
    contract: dict[str, Any] | None  # contract.json, or rebuilt from findings.jsonl
    load: dict[str, Any] | None  # load.json, or rebuilt from live.jsonl + samples.jsonl
    samples: list[dict[str, Any]] = field(default_factory=list)
    live: list[dict[str, Any]] = field(default_factory=list)
    partial_notes: list[str] = field(default_factory=list)  # why the report is partial, one line each

    @property
    def partial(self) -> bool:
        return bool(self.partial_notes)


@cache
def _documents() -> SchemaRegistry:
    return SchemaRegistry(RUN_SCHEMAS_DIR)


def check_shape(kind: str, document: dict[str, Any], source: Path) -> None:
    """RunDirError (one line) unless `document` has the shape reports and diffs read (schemas/runs/)."""
    errors = _documents().errors(kind, document)
    if errors:
        raise RunDirError(f"{source} is not a servecheck {kind} result: {errors[0]}")


def contract_from_findings(rows: list[dict[str, Any]], source: Path) -> dict[str, Any]:
    """contract.json's shape rebuilt from findings.jsonl: the families judged before the run stopped."""
    run = next((r for r in rows if r.get("kind") == "run"), {})
    end = next((r for r in rows if r.get("kind") == "end"), None)
    families: dict[str, Any] = {}
    failures: dict[str, list] = {}
    for row in rows:
        if row.get("kind") == "failure":
            failures.setdefault(str(row.get("family")), []).append(row)
        elif row.get("kind") == "family":
            name = str(row.get("family"))
            families[name] = {k: v for k, v in row.items() if k not in ("kind", "family")}
    for name, fam in families.items():
        fam["failures"] = [{k: v for k, v in f.items() if k != "kind"} for f in failures.get(name, [])]
    check_shape("contract", {"families": families}, source)
    totals = totals_of(families.values())
    data = {
        "target": run.get("target", {}),
        "seed": run.get("seed"),
        "schemas": run.get("schemas"),
        "verdict": verdict_of(bool(totals["failure_groups"]), totals, partial=True),
        "partial": True,
        "stop_reason": "killed",
        "requests": sum(fam.get("requests", 0) for fam in families.values()),
        "totals": totals,
        "families": families,
    }
    if end:
        data.update({k: v for k, v in end.items() if k != "kind"})
    return data


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    out: dict[str, float] = {"count": len(values)}
    if values:
        out |= {"mean": sum(values) / len(values), "min": values[0], "max": values[-1]}
        out |= {f"p{q}": percentile(values, q) for q in PERCENTILES}
    return out


@dataclass
class Samples:
    """samples.jsonl read as a stream: exact counts, and a seeded uniform sample of at most KEPT rows
    (what plots and tests read), so a report on gigabytes of samples holds megabytes."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    output_tokens: int = 0
    last_t: float = 0.0
    excluded: int = 0

    KEPT = 20_000

    def add(self, row: dict[str, Any], rng: random.Random) -> None:
        if row.get("excluded"):  # outside the measured window (--warmup, --cooldown): in no figure
            self.excluded += 1
            return
        self.total += 1
        error = row.get("error")
        if error:
            self.errors[str(error)] = self.errors.get(str(error), 0) + 1
        elif isinstance(row.get("completion_tokens"), int):
            self.output_tokens += row["completion_tokens"]
        if isinstance(row.get("t"), int | float):
            self.last_t = max(self.last_t, row["t"])
        if len(self.kept) < self.KEPT:  # reservoir sampling (Algorithm R)
            self.kept.append(row)
        elif (slot := rng.randrange(self.total)) < self.KEPT:
            self.kept[slot] = row

    @property
    def sampled(self) -> bool:
        return self.total > len(self.kept)


def read_samples(paths: Iterable[Path]) -> Samples:
    samples, rng = Samples(), random.Random(0)
    for path in paths:
        for row in iter_jsonl(path):
            samples.add(row, rng)
    return samples


def load_from_jsonl(
    live: list[dict[str, Any]], samples: Samples, max_error_rate: float = DEFAULT_MAX_ERROR_RATE
) -> dict[str, Any]:
    """load.json's main figures rebuilt from samples.jsonl (and the time span of live.jsonl): counts
    exact, percentiles from the kept sample."""
    times = [row.get("t") for row in live]
    span = max([t for t in times if isinstance(t, int | float)] + [samples.last_t, 1e-9])
    errors = samples.errors
    ok = [s for s in samples.kept if not s.get("error")]
    metrics = {
        name: summary([s[name] for s in ok if isinstance(s.get(name), int | float)]) for name in SAMPLED
    }
    successful = samples.total - sum(errors.values())
    load: dict[str, Any] = {
        "partial": True,
        "stop_reason": "killed",
        "elapsed_s": span,
        "requests": samples.total,
        "successful": successful,
        "errors": sum(errors.values()),
        "error_rate": sum(errors.values()) / samples.total if samples.total else None,
        "rps": successful / span,
        "output_tokens_per_s": samples.output_tokens / span,
        "metrics": {k: v for k, v in metrics.items() if v["count"]},
        "errors_by_kind": errors,
        "series": [],
        "phases": [],
        "slo": [],  # the SLOs were judged at the end, which a killed run never reached
        "slo_passed": None,
        "config": {},
    }
    judge_load(load, max_error_rate)
    return load


def read_run(run_dir: Path) -> RunData:
    """Everything a report needs from RUN_DIR; RunDirError when there is nothing to report."""
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} is not a folder")
    meta = read_json(run_dir / layout.RUN)
    contract = read_json(run_dir / layout.CONTRACT)
    load = read_json(run_dir / layout.LOAD)
    samples = read_samples(sorted(run_dir.glob(layout.SAMPLES_GLOB)))
    live = read_jsonl(run_dir / layout.LIVE)
    notes = []
    for kind, document in (("run", meta), ("contract", contract), ("load", load)):
        if document is not None:
            check_shape(kind, document, run_dir / layout.RESULTS.get(kind, layout.RUN))
    if contract is None and (findings := read_jsonl(run_dir / layout.FINDINGS)):
        contract = contract_from_findings(findings, run_dir / layout.FINDINGS)
        if contract.get("stop_reason") == "killed":
            notes.append("contract.json is missing (the run was killed): families from findings.jsonl")
    if load is None and (live or samples.total):
        flags = (meta or {}).get("flags") or {}
        load = load_from_jsonl(live, samples, flags.get("max_error_rate", DEFAULT_MAX_ERROR_RATE))
        notes.append("load.json is missing (the run was killed): figures from samples.jsonl and live.jsonl")
        if samples.sampled:
            notes.append(
                f"percentiles from {len(samples.kept):,} of {samples.total:,} samples, chosen at random"
            )
    if contract is None and load is None:
        raise RunDirError(f"{run_dir} holds no contract.json, load.json or JSONL results")
    for name, result in (("contract", contract), ("load", load)):
        if result and result.get("partial") and result.get("stop_reason") != "killed":
            why = result.get("signal") or result.get("stop_reason") or "stopped early"
            notes.append(f"the {name} run stopped early ({why}): results cover what ran until then")
    return RunData(run_dir, meta, contract, load, samples.kept, live, notes)
