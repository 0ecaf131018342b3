"""DIR/contract.json: the whole contract result, with every secret redacted as a last safety net."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson

from harness.contract.results import ContractResult
from harness.redact import write_redacted


def write_contract_json(result: ContractResult, path: Path, secrets: Iterable[str]) -> Path:
    text = orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode()
    return write_redacted(path, text, secrets)
