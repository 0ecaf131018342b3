"""Two run folders compared: the diff document every output (console, JSON, Markdown, HTML) renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.diff.contract import check_changes, shape_drift
from harness.diff.failon import Condition, triggered
from harness.diff.load import cdf_pairs, load_diff, settings_notes
from harness.runs import layout
from harness.runs.files import read_json
from harness.runs.read import RunData, RunDirError, read_run


def _require(run: RunData, kind: str, keys: tuple[str, ...]) -> None:
    result = getattr(run, kind)
    missing = [key for key in keys if not isinstance(result.get(key), dict | int | float)]
    if missing:
        raise RunDirError(f"{run.path}: the {kind} results lack {', '.join(missing)} (not a servecheck run?)")


def _shapes(run: RunData) -> dict[str, Any] | None:
    return read_json(run.path / layout.SHAPES)


def _contract(base: RunData, new: RunData, notes: list[str]) -> dict[str, Any]:
    for run in (base, new):
        _require(run, "contract", ("families",))
    contract: dict[str, Any] = {"checks": check_changes(base.contract, new.contract), "shapes": []}
    base_shapes, new_shapes = _shapes(base), _shapes(new)
    if base_shapes is None or new_shapes is None:
        notes.append(f"no shape drift: a run has no {layout.SHAPES} (runs before shapes were recorded)")
        return contract
    contract["shapes"] = shape_drift(base_shapes, new_shapes)
    if base.contract.get("seed") != new.contract.get("seed"):
        # other requests (stream options, encodings...) bring other optional fields: only the checks
        # can tell a real break then
        for change in contract["shapes"]:
            change["breaking"] = False
        notes.append("the runs used different seeds: shape drift is shown but not breaking")
    return contract


def compare(base_dir: Path, new_dir: Path, fail_on: list[Condition]) -> dict[str, Any]:
    """The diff of NEW against BASE; RunDirError when a folder holds no run or they share no kind."""
    base, new = read_run(base_dir), read_run(new_dir)
    notes: list[str] = []
    doc: dict[str, Any] = {
        "base": str(base_dir), "new": str(new_dir), "contract": None, "load": None, "load_cdfs": {}
    }  # fmt: skip
    if base.contract and new.contract:
        doc["contract"] = _contract(base, new, notes)
    if base.load and new.load:
        for run in (base, new):
            _require(run, "load", ("metrics", "requests", "errors"))
        doc["load"] = load_diff(base.load, new.load, base.samples, new.samples)
        doc["load_cdfs"] = cdf_pairs(base.samples, new.samples)
        notes += settings_notes(base.load, new.load)
    if doc["contract"] is None and doc["load"] is None:
        raise RunDirError(f"{base_dir} and {new_dir} share no contract or load results to compare")
    notes += [f"base: {note}" for note in base.partial_notes] + [f"new: {note}" for note in new.partial_notes]
    doc["notes"] = notes
    doc["fail_on"] = [cond.text for cond in fail_on]
    doc["triggered"] = triggered(fail_on, doc)
    return doc
