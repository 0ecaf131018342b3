"""The run store: every contract or load run folder carries a run.json saying what ran, against what,
with which schemas and flags; `list_runs` reads the folders back for `servecheck runs list`.

run.json is written when the run starts, so a run killed outright is still listed (as partial).
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import __version__
from harness.paths import IN_CHECKOUT, ROOT
from harness.runs import layout
from harness.runs.files import read_json, write_json
from harness.schemas.registry import registry
from harness.wire.redact import safe_url


def schemas_commit(root: Path = ROOT) -> str | None:
    """HEAD of the checkout holding the schemas, None when it is no git checkout (or git is missing).

    A built wheel has no checkout: its site-packages may sit inside some other repository."""
    if not IN_CHECKOUT:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def flags_of(config: Any) -> dict[str, Any]:
    """A command's settings as JSON values (paths as strings); configs hold token names, never tokens,
    and a base URL's user:password@ is dropped as the target's is."""
    flags = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in dataclasses.asdict(config).items()
    }
    if flags.get("base_url"):
        flags["base_url"] = safe_url(flags["base_url"])
    return flags


def write_run_json(
    run_dir: Path, kind: str, target: dict[str, Any], flags: dict[str, Any], secrets: Iterable[str] = ()
) -> Path:
    """Write RUN_DIR/run.json. `target`: base_url (user:password@ is dropped), api, embedded_mock, models."""
    record = {
        "tool": "servecheck",
        "version": __version__,
        "kind": kind,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schemas": registry().fingerprint(),
        "schemas_commit": schemas_commit(),
        "target": {**target, "base_url": safe_url(target["base_url"]) if target.get("base_url") else None},
        "flags": flags,
    }
    return write_json(run_dir / layout.RUN, record, secrets)


@dataclass(frozen=True)
class RunEntry:
    path: Path
    started_at: str
    kind: str
    target: str
    verdict: str  # passed | failed | untested (contract) | unknown (no results)
    partial: bool


def _verdict(result: dict[str, Any] | None) -> str:
    if result is None:
        return "unknown"
    return str(result.get("verdict", "unknown"))


def read_entry(run_dir: Path) -> RunEntry | None:
    """A run folder's summary, None when it holds no readable run.json."""
    meta = read_json(run_dir / layout.RUN, strict=False)
    if meta is None or meta.get("kind") not in layout.RESULTS:
        return None
    kind = meta["kind"]
    result = read_json(run_dir / layout.RESULTS[kind], strict=False)
    target = meta.get("target") or {}
    return RunEntry(
        path=run_dir,
        started_at=str(meta.get("started_at", "")),
        kind=kind,
        target="embedded mock" if target.get("embedded_mock") else str(target.get("base_url")),
        verdict=_verdict(result),
        # no result file: the process was killed before writing it
        partial=result is None or bool(result.get("partial")),
    )


def read_entries(run_dir: Path) -> list[RunEntry]:
    """A run folder's entry; a `servecheck load --serve` folder's are its tests (RUN_DIR/tests/NNN), each
    with its own results, started time and host (the web UI's form may change it)."""
    entry = read_entry(run_dir)
    tests = run_dir / layout.TESTS
    if entry is None or not tests.is_dir():
        return [entry] if entry else []
    entries = []
    for folder in sorted(p for p in tests.iterdir() if p.is_dir() and layout.is_test_folder(p.name)):
        result = read_json(folder / layout.LOAD, strict=False) or {}
        started = result.get("started_at")
        host = (result.get("config") or {}).get("host")
        embedded = (result.get("target") or {}).get("embedded_mock")
        entries.append(
            RunEntry(
                path=folder,
                started_at=datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds")
                if isinstance(started, int | float)
                else entry.started_at,
                kind=entry.kind,
                target="embedded mock" if embedded else str(host or entry.target),
                verdict=_verdict(result or None),
                partial=not result or bool(result.get("partial")),
            )
        )
    return entries


def list_runs(base: Path) -> list[RunEntry]:
    """Every run under `base` that has a run.json (a serve folder: each of its tests), newest first."""
    if not base.is_dir():
        return []
    entries = [entry for path in base.iterdir() if path.is_dir() for entry in read_entries(path)]
    return sorted(entries, key=lambda e: (e.started_at, e.path.name), reverse=True)
