"""DIR/contract.json: the whole contract result, with every secret redacted as a last safety net."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.contract.results import ContractResult
from harness.runs.files import write_json


def write_contract_json(result: ContractResult, path: Path, secrets: Iterable[str]) -> Path:
    return write_json(path, result.to_dict(), secrets)
