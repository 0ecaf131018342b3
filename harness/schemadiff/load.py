"""Read a schema set, from a folder or from a git revision, into name -> resolved schema.

A revision is read with `git ls-tree` / `git show` into a temporary folder, so both kinds go through the
project's SchemaRegistry (the same `$ref` resolution the checks use).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from harness.schemas.registry import SchemaLoadError, SchemaRegistry

SCHEMAS_SUBDIR = "schemas"  # where a revision's schemas live inside the repository


class SchemaSetError(Exception):
    """The set cannot be read: no such folder or revision, invalid JSON, broken schema."""


def load_set(source: str, repo: Path) -> dict[str, dict[str, Any]]:
    """Every schema of `source` (a folder, else a git revision of `repo`), `$ref`s inlined."""
    folder = Path(source)
    if folder.is_dir():
        return _resolve_folder(folder, source)
    with tempfile.TemporaryDirectory(prefix="servecheck-schemas-") as tmp:
        _export_revision(source, repo, Path(tmp))
        return _resolve_folder(Path(tmp), source)


def _resolve_folder(folder: Path, label: str) -> dict[str, dict[str, Any]]:
    if not any(folder.glob("*.json")):
        raise SchemaSetError(f"{label}: no *.json schemas")
    try:
        schemas = SchemaRegistry(folder)
    except SchemaLoadError as exc:
        raise SchemaSetError(f"{label}: {exc}") from None
    return {name: schemas.resolved(name) for name in schemas.names()}


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SchemaSetError(f"git failed: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise SchemaSetError(lines[-1] if lines else f"git {args[0]} exited {done.returncode}")
    return done.stdout


def _export_revision(revision: str, repo: Path, into: Path) -> None:
    if revision.startswith("-"):  # never let a "revision" be read as a git option
        raise SchemaSetError(f"{revision}: not a folder nor a git revision")
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except SchemaSetError:
        raise SchemaSetError(f"{revision}: not a folder nor a git revision of {repo}") from None
    try:
        listing = _git(repo, "ls-tree", "--name-only", f"{revision}:{SCHEMAS_SUBDIR}")
    except SchemaSetError as exc:
        raise SchemaSetError(f"{revision}: no {SCHEMAS_SUBDIR}/ folder ({exc})") from None
    for name in listing.decode().splitlines():
        if name.endswith(".json"):
            (into / name).write_bytes(_git(repo, "show", f"{revision}:{SCHEMAS_SUBDIR}/{name}"))
