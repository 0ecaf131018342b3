"""`servecheck schemas diff OLD NEW`: every change category, both directions, folders and git revisions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from harness.commands import schemas_cmd
from harness.paths import SCHEMAS_DIR
from harness.schemadiff.classify import breaking_for, direction
from harness.schemadiff.compare import Effect, compare
from harness.schemadiff.load import load_set
from harness.schemadiff.sets import diff_sets

runner = CliRunner()
BASE = "https://example.test/schemas/"


def _schema(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{BASE}{name}.json", **body}


def _folder(path: Path, schemas: dict[str, dict[str, Any]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        (path / f"{name}.json").write_text(json.dumps(_schema(name, body)))
    return path


def _diff(*args: str) -> Any:
    return runner.invoke(schemas_cmd.app, ["diff", *args], env={"COLUMNS": "200"})


def _only(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str, Effect]:
    changes = compare(old, new)
    assert len(changes) == 1, changes
    return changes[0].path, changes[0].category, changes[0].effect


OBJ = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
CLOSED = {**OBJ, "additionalProperties": False}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            CLOSED,
            {**CLOSED, "properties": {"a": {"type": "string"}}},
            ("$.properties.b", "property_removed", Effect.NARROWER),
        ),
        (
            OBJ,
            {**OBJ, "properties": {"a": {"type": "string"}}},
            ("$.properties.b", "property_removed", Effect.WIDER),
        ),
        (
            CLOSED,
            {**CLOSED, "properties": {**OBJ["properties"], "c": {}}},
            ("$.properties.c", "property_added", Effect.WIDER),
        ),
        (
            OBJ,
            {**OBJ, "properties": {**OBJ["properties"], "c": {}}},
            ("$.properties.c", "property_added", Effect.NONE),
        ),
        (OBJ, {**OBJ, "required": ["a"]}, ("$.required", "required_added", Effect.NARROWER)),
        ({**OBJ, "required": ["a"]}, OBJ, ("$.required", "required_removed", Effect.WIDER)),
        ({"type": "string"}, {"type": "integer"}, ("$.type", "type_changed", Effect.BOTH)),
        ({"type": ["string", "null"]}, {"type": "string"}, ("$.type", "type_narrowed", Effect.NARROWER)),
        ({"type": "integer"}, {"type": "number"}, ("$.type", "type_widened", Effect.WIDER)),
        ({}, {"type": "string"}, ("$.type", "type_narrowed", Effect.NARROWER)),
        ({"enum": ["x", "y"]}, {"enum": ["x"]}, ("$.enum", "enum_value_removed", Effect.NARROWER)),
        ({"enum": ["x"]}, {"enum": ["x", "y"]}, ("$.enum", "enum_value_added", Effect.WIDER)),
        (
            {"type": "string"},
            {"type": "string", "enum": ["x"]},
            ("$.enum", "enum_tightened", Effect.NARROWER),
        ),
        ({"const": "x"}, {}, ("$.const", "enum_loosened", Effect.WIDER)),
        ({"const": "x"}, {"enum": ["x", "y"]}, ("$.enum", "enum_value_added", Effect.WIDER)),
        (OBJ, CLOSED, ("$.additionalProperties", "additional_properties_tightened", Effect.NARROWER)),
        (CLOSED, OBJ, ("$.additionalProperties", "additional_properties_loosened", Effect.WIDER)),
        (
            OBJ,
            {**OBJ, "additionalProperties": {"type": "string"}},
            ("$.additionalProperties", "additional_properties_tightened", Effect.NARROWER),
        ),
        (
            {"additionalProperties": {"type": "string"}},
            {"additionalProperties": {"type": ["string", "null"]}},
            ("$.additionalProperties.type", "type_widened", Effect.WIDER),
        ),
        (
            {"type": "string"},
            {"type": "string", "format": "uri"},
            ("$.format", "format_tightened", Effect.NARROWER),
        ),
        (
            {"type": "string", "format": "uri"},
            {"type": "string"},
            ("$.format", "format_loosened", Effect.WIDER),
        ),
        ({"format": "uri"}, {"format": "email"}, ("$.format", "format_changed", Effect.BOTH)),
        (
            {"type": "string"},
            {"type": "string", "pattern": "^a"},
            ("$.pattern", "pattern_tightened", Effect.NARROWER),
        ),
        ({"pattern": "^a"}, {}, ("$.pattern", "pattern_loosened", Effect.WIDER)),
        ({"minimum": 0}, {"minimum": 1}, ("$.minimum", "range_tightened", Effect.NARROWER)),
        ({"maximum": 2}, {"maximum": 1}, ("$.maximum", "range_tightened", Effect.NARROWER)),
        ({"maximum": 2}, {"maximum": 3}, ("$.maximum", "range_loosened", Effect.WIDER)),
        ({}, {"minLength": 1}, ("$.minLength", "range_tightened", Effect.NARROWER)),
        ({"maxLength": 9}, {}, ("$.maxLength", "range_loosened", Effect.WIDER)),
        ({"minItems": 2}, {"minItems": 1}, ("$.minItems", "range_loosened", Effect.WIDER)),
        ({"maxItems": 5}, {"maxItems": 4}, ("$.maxItems", "range_tightened", Effect.NARROWER)),
        ({"maxProperties": 5}, {"maxProperties": 9}, ("$.maxProperties", "range_loosened", Effect.WIDER)),
        (
            {"exclusiveMinimum": 0},
            {"exclusiveMinimum": 1},
            ("$.exclusiveMinimum", "range_tightened", Effect.NARROWER),
        ),
        (
            {"items": {"type": "string"}},
            {"items": {"type": "string", "maxLength": 3}},
            ("$.items.maxLength", "range_tightened", Effect.NARROWER),
        ),
        (
            {"anyOf": [{"type": "string"}]},
            {"anyOf": [{"type": "string"}, {"type": "null"}]},
            ("$.anyOf[1]", "variant_added", Effect.WIDER),
        ),
        (
            {"oneOf": [{"type": "null"}, {"type": "string"}]},
            {"oneOf": [{"type": "string"}]},
            ("$.oneOf[0]", "variant_removed", Effect.NARROWER),
        ),
        (
            {"allOf": [{"type": "string"}]},
            {"allOf": [{"type": "string"}, {"minLength": 1}]},
            ("$.allOf[1]", "subschema_added", Effect.NARROWER),
        ),
        (True, False, ("$.type", "type_narrowed", Effect.NARROWER)),
        ({"multipleOf": 2}, {"multipleOf": 3}, ("$.multipleOf", "keyword_changed", Effect.BOTH)),
        (
            {"type": "object"},
            {"type": "object", "not": {"required": ["a"]}},
            ("$.not", "keyword_changed", Effect.BOTH),
        ),
    ],
)
def test_each_category_is_found_with_its_effect(
    old: Any, new: Any, expected: tuple[str, str, Effect]
) -> None:
    assert _only(old, new) == expected


def test_nested_changes_carry_the_path_and_unchanged_schemas_have_none() -> None:
    old = {"type": "object", "properties": {"c": {"type": "array", "items": CLOSED}}}
    new = json.loads(json.dumps(old))
    new["properties"]["c"]["items"]["properties"]["a"]["maxLength"] = 4
    assert _only(old, new)[:2] == ("$.properties.c.items.properties.a.maxLength", "range_tightened")
    assert compare(old, json.loads(json.dumps(old))) == []
    # Annotations do not change which payloads are valid.
    assert compare({"type": "string"}, {"type": "string", "description": "now documented"}) == []


def test_an_anyof_branch_inserted_in_the_middle_is_reported_as_such() -> None:
    a, b, c = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
    changes = compare({"anyOf": [a, c]}, {"anyOf": [a, b, c]})
    assert [(ch.path, ch.category) for ch in changes] == [("$.anyOf[1]", "variant_added")]


@pytest.mark.parametrize(
    ("name", "way"),
    [
        ("chat_request", "request"),
        ("invocations_request", "request"),
        ("chat_response", "response"),
        ("chat_chunk", "response"),
        ("error", "response"),
        ("databricks_error", "response"),
        ("models_list", "response"),
        ("messages", "unknown"),
    ],
)
def test_direction_by_name(name: str, way: str) -> None:
    assert direction(name) == way


def test_direction_by_keyword_and_by_flag() -> None:
    assert direction("thing", {"x-servecheck-direction": "response"}) == "response"
    assert direction("thing_request", {"x-servecheck-direction": "response"}) == "response"
    assert direction("thing_request", {"x-servecheck-direction": "response"}, "unknown") == "unknown"
    assert breaking_for(Effect.NARROWER, "unknown") == ("clients", "servers")
    assert breaking_for(Effect.NONE, "unknown") == ()


def test_requests_and_responses_break_opposite_parties() -> None:
    assert breaking_for(Effect.NARROWER, "request") == ("clients",)
    assert breaking_for(Effect.WIDER, "request") == ("servers",)
    assert breaking_for(Effect.NARROWER, "response") == ("servers",)
    assert breaking_for(Effect.WIDER, "response") == ("clients",)
    assert set(breaking_for(Effect.BOTH, "response")) == {"clients", "servers"}
    assert breaking_for(Effect.NONE, "request") == ()


def test_same_change_in_a_request_and_a_response_schema(tmp_path: Path) -> None:
    """A newly required field: breaks clients for a request, servers for a response."""
    before = {"type": "object", "properties": {"id": {"type": "string"}}}
    after = {**before, "required": ["id"]}
    old = _folder(tmp_path / "old", {"thing_request": before, "thing_response": before})
    new = _folder(tmp_path / "new", {"thing_request": after, "thing_response": after})
    out = tmp_path / "diff.json"
    result = _diff(str(old), str(new), "--json", str(out))
    assert result.exit_code == 1, result.output
    changes = json.loads(out.read_text())["changes"]
    assert [(c["schema"], c["category"], c["breaking_for"], c["new"]) for c in changes] == [
        ("thing_request", "required_added", ["clients"], "id"),
        ("thing_response", "required_added", ["servers"], "id"),
    ]
    assert "thing_request" in result.stdout and "required_added" in result.stdout


def test_a_widened_response_enum_breaks_clients_and_the_markdown_says_so(tmp_path: Path) -> None:
    old = _folder(tmp_path / "old", {"chat_response": {"properties": {"f": {"enum": ["stop"]}}}})
    new = _folder(tmp_path / "new", {"chat_response": {"properties": {"f": {"enum": ["stop", "eos"]}}}})
    md = tmp_path / "diff.md"
    result = _diff(str(old), str(new), "--md", str(md))
    assert result.exit_code == 1, result.output
    text = md.read_text()
    assert "breaking" in text
    assert (
        '| chat_response | `$.properties.f.enum` | enum_value_added | **clients** | `-` → `"eos"` |' in text
    )


def test_non_breaking_changes_exit_0(tmp_path: Path) -> None:
    """An optional property named on an open response object, and a new schema, break nobody."""
    old = _folder(tmp_path / "old", {"error": {"type": "object", "properties": {}}})
    new = _folder(
        tmp_path / "new",
        {"error": {"type": "object", "properties": {"hint": {"type": "string"}}}, "extra_request": {}},
    )
    out = tmp_path / "diff.json"
    result = _diff(str(old), str(new), "--json", str(out))
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["breaking"] is False
    assert {(c["schema"], c["category"]) for c in document["changes"]} == {
        ("error", "property_added"),
        ("extra_request", "schema_added"),
    }


def test_a_removed_schema_breaks_clients(tmp_path: Path) -> None:
    old = _folder(tmp_path / "old", {"a_request": {}, "b_response": {}})
    new = _folder(tmp_path / "new", {"a_request": {}})
    changes = diff_sets(load_set(str(old), tmp_path), load_set(str(new), tmp_path)).changes
    assert [(c.schema, c.category, c.breaking_for) for c in changes] == [
        ("b_response", "schema_removed", ("clients",))
    ]
    assert _diff(str(old), str(new)).exit_code == 1


def test_refs_are_resolved_so_a_shared_definition_change_shows_in_its_users(tmp_path: Path) -> None:
    shared_old = {"$defs": {"name": {"type": "string"}}}
    shared_new = {"$defs": {"name": {"type": "string", "maxLength": 8}}}
    user = {"type": "object", "properties": {"name": {"$ref": "shared.json#/$defs/name"}}}
    old = _folder(tmp_path / "old", {"shared": shared_old, "x_request": user})
    new = _folder(tmp_path / "new", {"shared": shared_new, "x_request": user})
    out = tmp_path / "diff.json"
    assert _diff(str(old), str(new), "--json", str(out)).exit_code == 1
    changes = json.loads(out.read_text())["changes"]
    assert [(c["schema"], c["path"], c["category"]) for c in changes] == [
        ("x_request", "$.properties.name.maxLength", "range_tightened")
    ]


def test_the_project_schemas_against_themselves_have_no_changes() -> None:
    result = _diff(str(SCHEMAS_DIR), str(SCHEMAS_DIR))
    assert result.exit_code == 0, result.output
    assert "no changes" in result.stdout


def test_a_real_schema_edit_is_classified(tmp_path: Path) -> None:
    new = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, new)
    schema = json.loads((new / "chat_request.json").read_text())
    schema["$defs"]["body"]["properties"]["model"]["minLength"] = 2
    (new / "chat_request.json").write_text(json.dumps(schema))
    out = tmp_path / "diff.json"
    assert _diff(str(SCHEMAS_DIR), str(new), "--json", str(out)).exit_code == 1
    found = {(c["schema"], c["path"], c["breaking_for"][0]) for c in json.loads(out.read_text())["changes"]}
    # chat_request's body is shared by invocations_request: both tighten.
    assert found == {
        ("chat_request", "$.allOf[0].properties.model.minLength", "clients"),
        ("invocations_request", "$.anyOf[0].properties.model.minLength", "clients"),
    }


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        timeout=30,
    )


def test_git_revisions_of_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _folder(repo / "schemas", {"chat_response": {"type": "object", "required": ["id"]}})
    _git(repo, "init", "-q")
    _git(repo, "add", "schemas")
    _git(repo, "commit", "-q", "-m", "one")
    _folder(repo / "schemas", {"chat_response": {"type": "object"}})
    _git(repo, "commit", "-q", "-am", "two")
    out = tmp_path / "diff.json"
    result = _diff("HEAD~1", "HEAD", "--repo", str(repo), "--json", str(out))
    assert result.exit_code == 1, result.output
    changes = json.loads(out.read_text())["changes"]
    assert [(c["category"], c["breaking_for"], c["old"]) for c in changes] == [
        ("required_removed", ["clients"], "id")
    ]
    # A revision against a folder works too, and the same state means no change.
    assert _diff("HEAD", str(repo / "schemas"), "--repo", str(repo)).exit_code == 0


@pytest.mark.parametrize("kind", ["missing", "revision", "empty"])
def test_bad_input_exits_2_with_one_line(tmp_path: Path, kind: str) -> None:
    good = _folder(tmp_path / "good", {"a_request": {}})
    bad = tmp_path / "bad"
    bad.mkdir()
    if kind == "missing":
        bad = tmp_path / "nowhere"
    elif kind == "revision":
        bad = Path("no-such-revision-xyz")
    result = _diff(str(good), str(bad), "--repo", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("error:")
    assert len(result.output.strip().splitlines()) == 1


def test_the_new_users_case_any_schema_set_is_compared(tmp_path: Path) -> None:
    """Two folders with one `thing.json` each ($id on the user's own host), the second without a
    required property: the removal is reported, breaking either way (its direction is unknown)."""
    thing = {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}}
    for side, required in (("s1", ["id", "n"]), ("s2", ["id"])):
        (tmp_path / side).mkdir()
        body = {"$id": "https://schemas.acme.example/thing.json", **thing, "required": required}
        (tmp_path / side / "thing.json").write_text(json.dumps(body))
    out = tmp_path / "d.json"
    result = _diff(str(tmp_path / "s1"), str(tmp_path / "s2"), "--json", str(out))
    assert result.exit_code == 1, result.output
    assert "required_removed" in result.output and "1 compared" in result.output
    (change,) = json.loads(out.read_text())["changes"]
    assert (change["schema"], change["direction"], change["old"]) == ("thing", "unknown", "n")
    assert change["breaking_for"] == ["clients", "servers"]
    # Told it is a request schema: dropping a requirement breaks servers only.
    result = _diff(str(tmp_path / "s1"), str(tmp_path / "s2"), "--direction", "request", "--json", str(out))
    assert result.exit_code == 1 and json.loads(out.read_text())["changes"][0]["breaking_for"] == ["servers"]


def test_files_that_cannot_be_compared_are_listed_and_exit_2(tmp_path: Path) -> None:
    good = _folder(tmp_path / "good", {"a_request": {}, "b_request": {}})
    bad = _folder(tmp_path / "bad", {"a_request": {}})
    (bad / "b_request.json").write_text("{not json")
    (bad / "NOTES.md").write_text("hello")
    (bad / "c.json").write_text(json.dumps({"$ref": "missing.json"}))
    result = _diff(str(good), str(bad))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "not compared: b_request (new): b_request.json: not JSON" in result.output
    assert "not compared: NOTES.md (new): not a *.json schema file" in result.output
    assert "not compared: c (new): cannot resolve $ref" in result.output
    # No $id: the file's URI stands in, and the schema is compared like any other.
    (bad / "b_request.json").write_text(json.dumps({"type": "object"}))
    (bad / "NOTES.md").unlink()
    (bad / "c.json").unlink()
    result = _diff(str(good), str(bad))
    assert result.exit_code == 1 and "b_request" in result.output and "type_narrowed" in result.output


def test_fail_on_any_fails_on_a_change_that_breaks_nobody(tmp_path: Path) -> None:
    old = _folder(tmp_path / "old", {"a_request": {"type": "object"}})
    new = _folder(tmp_path / "new", {"a_request": {"type": "object", "properties": {"x": {}}}})
    assert _diff(str(old), str(new)).exit_code == 0
    assert _diff(str(old), str(new), "--fail-on", "any").exit_code == 1
    result = _diff(str(old), str(new), "--fail-on", "everything")
    assert result.exit_code == 2 and "--fail-on: 'everything' is not one of breaking, any" in result.output
