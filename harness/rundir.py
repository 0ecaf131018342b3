"""Where a run's files land by default: reports/runs/<UTC timestamp>-<kind>-<target slug>/."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from harness.paths import RUNS_DIR


def target_slug(base_url: str) -> str:
    host = re.sub(r"^https?://", "", base_url)
    return re.sub(r"[^A-Za-z0-9]+", "-", host).strip("-").lower()[:60] or "target"


def default_run_dir(kind: str, base_url: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return RUNS_DIR / f"{stamp}-{kind}-{target_slug(base_url)}"
