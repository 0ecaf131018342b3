"""Where a run's files land by default: servecheck-runs/<UTC timestamp>-<kind>-<target slug>/."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from harness.paths import RUNS_DIR
from harness.targets import ConfigError


def target_slug(base_url: str) -> str:
    host = re.sub(r"^https?://", "", base_url)
    return re.sub(r"[^A-Za-z0-9]+", "-", host).strip("-").lower()[:60] or "target"


def default_run_dir(kind: str, base_url: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return RUNS_DIR / f"{stamp}-{kind}-{target_slug(base_url)}"


def check_writable(path: Path, flag: str, folder: bool) -> None:
    """ConfigError (one line) unless `path` can be written: checked before the first request, so a
    run never ends in a traceback after all its requests were spent."""
    where = path if folder else path.parent
    try:
        if folder and path.exists() and not path.is_dir():
            raise NotADirectoryError(f"{path} is not a folder")
        if not folder and path.is_dir():
            raise IsADirectoryError(f"{path} is a folder")
        where.mkdir(parents=True, exist_ok=True)
        probe = where / f".servecheck-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"{flag} {path}: cannot be written ({exc.strerror or exc})") from None
