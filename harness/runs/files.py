"""Writing and reading a run folder's files: whole files atomically with every secret masked, JSON
Lines appended and flushed as a run goes, and both read back tolerantly (a killed run leaves torn ends).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from harness.wire.redact import redact, redact_bytes


class RunDirError(Exception):
    """A run folder or one of its files cannot be read as servecheck wrote it."""


def write_text(path: Path, text: str, secrets: Iterable[str] = ()) -> Path:
    """Write `text` plus a final newline atomically (a reader never sees half a file), every secret
    masked: results quote what the endpoint said, and an endpoint may echo the token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(redact(text, secrets) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: Any, secrets: Iterable[str] = ()) -> Path:
    """`data` as indented JSON through write_text (non-JSON values as their str)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str).decode()
    return write_text(path, text, secrets)


class JsonLines:
    """A JSON Lines file a run appends to as it goes; each line's secrets masked, flushed on `flush()`."""

    def __init__(self, path: Path, secrets: Iterable[str] = (), append: bool = True) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab" if append else "wb")
        self._secrets = [s for s in secrets if s]

    def write(self, row: Any, flush: bool = True) -> None:
        line = orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS, default=str) + b"\n"
        self._file.write(redact_bytes(line, self._secrets))
        if flush:
            self.flush()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def read_json(path: Path, strict: bool = True) -> dict[str, Any] | None:
    """A JSON object file; None when it is missing. Strict: RunDirError when it is no JSON object;
    otherwise None then too (listing runs skips what it cannot read)."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as exc:
        if strict:
            raise RunDirError(f"{path} cannot be read as JSON ({exc})") from None
        return None
    if not isinstance(data, dict):
        if strict:
            raise RunDirError(f"{path} is not a JSON object")
        return None
    return data


MAX_JSONL_LINE = 2**20  # a longer line is no line servecheck wrote: skipped, never held whole


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Whole JSON object lines of `path`, read as a stream (a killed writer can leave a torn last line,
    and a file may be gigabytes: it is skipped, and never read whole)."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RunDirError(f"{path} cannot be read ({exc.strerror})") from None
    with file:
        while line := file.readline(MAX_JSONL_LINE + 1):
            if len(line) > MAX_JSONL_LINE:
                while line and not line.endswith(b"\n"):  # the rest of the overlong line
                    line = file.readline(MAX_JSONL_LINE + 1)
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(row, dict):
                yield row


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return list(iter_jsonl(path))
