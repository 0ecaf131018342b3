"""Where a command writes what it renders: a file (its folder made), or stdout for "-"."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from harness.wire.redact import redact


def write_output(text: str, target: Path, command: str) -> bool:
    """Write `text` to `target` ("-": stdout); True when a file was written. A target that cannot be
    written: one line on stderr, exit 2."""
    text = redact(text)
    if str(target) == "-":
        sys.stdout.write(text)
        return False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"servecheck {command}: error: cannot write {target}: {exc.strerror}", file=sys.stderr)
        raise typer.Exit(2) from None
    return True
