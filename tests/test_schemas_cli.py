"""`servecheck schemas list|show|validate`, through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.schemas.registry import SchemaRegistry, registry

runner = CliRunner()

CHAT_RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
}


def _file(tmp_path: Path, content: str | bytes, name: str = "payload.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output


def test_list_shows_every_schema_with_its_id_and_summary() -> None:
    result = runner.invoke(app, ["schemas", "list"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    for name in registry().names():
        assert name in result.stdout
        assert registry().raw(name)["$id"] in result.stdout
    assert "Chat completion request: Body of POST /v1/chat/completions" in result.stdout
    # One line per schema (plus the table's frame): summaries do not wrap.
    assert len(result.stdout.strip().splitlines()) == len(registry().names()) + 4


def test_show_prints_the_schema_as_json() -> None:
    result = runner.invoke(app, ["schemas", "show", "error"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == registry().raw("error")


def test_show_resolved_inlines_refs() -> None:
    result = runner.invoke(app, ["schemas", "show", "chat_request", "--resolved"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == registry().resolved("chat_request")
    assert "$ref" not in result.stdout


def test_show_unknown_schema_is_a_one_line_usage_error() -> None:
    result = runner.invoke(app, ["schemas", "show", "chat"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: unknown schema 'chat'; known: {', '.join(registry().names())}"
    ]
    _no_traceback(result.output)


def test_validate_valid_payload(tmp_path: Path) -> None:
    path = _file(tmp_path, json.dumps(CHAT_RESPONSE))
    result = runner.invoke(app, ["schemas", "validate", str(path), "--schema", "chat_response"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "valid"


def test_validate_invalid_payload_lists_each_error_with_its_path(tmp_path: Path) -> None:
    broken = {**CHAT_RESPONSE, "created": "yesterday"}
    broken["choices"] = [{**CHAT_RESPONSE["choices"][0], "finish_reason": "eos"}]
    path = _file(tmp_path, json.dumps(broken))
    result = runner.invoke(app, ["schemas", "validate", str(path), "--schema", "chat_response"])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "invalid: 2 error(s) against chat_response"
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "$.choices[0].finish_reason",
        "$.created",
    ]
    assert '"yesterday" is not of type "integer"' in result.stdout
    _no_traceback(result.output)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "is not JSON"),
        (b"\xff\xfe\x00", "is not JSON"),
        ("", "is not JSON"),
    ],
    ids=["broken", "binary", "empty"],
)
def test_validate_non_json_file_is_a_one_line_error(tmp_path: Path, content: str | bytes, words: str) -> None:
    path = _file(tmp_path, content)
    result = runner.invoke(app, ["schemas", "validate", str(path), "--schema", "error"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr
    _no_traceback(result.output)


@pytest.mark.parametrize("target", ["missing.json", "."], ids=["missing", "directory"])
def test_validate_unreadable_file_is_a_one_line_error(tmp_path: Path, target: str) -> None:
    result = runner.invoke(app, ["schemas", "validate", str(tmp_path / target), "--schema", "error"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read ")
    assert len(result.stderr.strip().splitlines()) == 1
    _no_traceback(result.output)


def test_validate_unknown_schema_is_a_usage_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "{}")
    result = runner.invoke(app, ["schemas", "validate", str(path), "--schema", "chat"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown schema 'chat'")
    _no_traceback(result.output)


def test_a_broken_schema_folder_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _file(tmp_path, '{"$id": "https://t/a.json", "type": 5}', "a.json")
    monkeypatch.setattr("harness.schemas.registry.registry", lambda: SchemaRegistry(tmp_path))
    result = runner.invoke(app, ["schemas", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot load the schemas: a.json: not a valid JSON Schema")
    _no_traceback(result.output)
