"""Read a schema set, from a folder or from a git revision, into name -> resolved schema.

A revision is read with `git ls-tree` / `git show` into a temporary folder, so both kinds go through the
project's SchemaRegistry (the same `$ref` resolution the checks use), leniently: a file that cannot be
read or resolved is recorded with its reason, never dropped in silence, and so is any other file of the
folder that is not `*.json`.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from harness.schemas.registry import SchemaRegistry

SCHEMAS_SUBDIR = "schemas"  # where a revision's schemas live inside the repository


class SchemaSetError(Exception):
    """The set cannot be read: no such folder or revision, invalid JSON, broken schema."""


@dataclass
class SchemaSet:
    """A set's schemas by name (resolved and as written), and what could not be read, with why."""

    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # schema name -> why it was not read
    other_files: list[str] = field(default_factory=list)  # files beside the schemas, not *.json

    def referenced(self) -> set[str]:
        """The schemas another schema of the set `$ref`s (shared definitions)."""
        by_id = {urldefrag(schema["$id"]).url: name for name, schema in self.raw.items()}
        found = set()
        for name, schema in self.raw.items():
            for ref in _refs(schema):
                target = by_id.get(urldefrag(urljoin(schema["$id"], ref)).url)
                if target is not None and target != name:
                    found.add(target)
        return found


def _refs(node: Any) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                yield item["$ref"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def load_set(source: str, repo: Path) -> SchemaSet:
    """Every schema of `source` (a folder, else a git revision of `repo`), `$ref`s inlined."""
    folder = Path(source)
    if folder.is_dir():
        return _resolve_folder(folder, source)
    with tempfile.TemporaryDirectory(prefix="servecheck-schemas-") as tmp:
        _export_revision(source, repo, Path(tmp))
        return _resolve_folder(Path(tmp), source)


def _resolve_folder(folder: Path, label: str) -> SchemaSet:
    if not any(folder.glob("*.json")):
        raise SchemaSetError(f"{label}: no *.json schemas")
    problems: dict[str, str] = {}
    schemas = SchemaRegistry(folder, problems=problems)
    others = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".json")
    return SchemaSet(
        resolved={name: schemas.resolved(name) for name in schemas.names()},
        raw={name: schemas.raw(name) for name in schemas.names()},
        problems=problems,
        other_files=others,
    )


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SchemaSetError(f"git failed: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise SchemaSetError(lines[-1] if lines else f"git {args[0]} exited {done.returncode}")
    return done.stdout


def _check_revision(revision: str, repo: Path) -> None:
    if revision.startswith("-"):  # never let a "revision" be read as a git option
        raise SchemaSetError(f"{revision}: not a folder nor a git revision")
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except SchemaSetError:
        raise SchemaSetError(f"{revision}: not a folder nor a git revision of {repo}") from None


def git_show(repo: Path, revision: str, path: str) -> bytes:
    """One file of a git revision of `repo`."""
    _check_revision(revision, repo)
    try:
        return _git(repo, "show", f"{revision}:{path}")
    except SchemaSetError as exc:
        raise SchemaSetError(f"{revision}:{path}: {exc}") from None


def _export_revision(revision: str, repo: Path, into: Path) -> None:
    _check_revision(revision, repo)
    try:
        listing = _git(repo, "ls-tree", f"{revision}:{SCHEMAS_SUBDIR}")
    except SchemaSetError as exc:
        raise SchemaSetError(f"{revision}: no {SCHEMAS_SUBDIR}/ folder ({exc})") from None
    for line in listing.decode().splitlines():
        meta, _, name = line.partition("\t")
        if meta.split()[1:2] == ["blob"]:  # the folder's own files, as a folder's listing has them
            (into / name).write_bytes(_git(repo, "show", f"{revision}:{SCHEMAS_SUBDIR}/{name}"))
