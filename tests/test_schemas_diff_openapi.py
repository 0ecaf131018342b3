"""`servecheck schemas diff` on OpenAPI documents: per operation, `$ref`s resolved, files, revisions, URLs."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec import SPEC_PATH
from test_schemas_diff import _diff

from mock_server.server import running_mock

needs_spec = pytest.mark.skipif(not SPEC_PATH.exists(), reason=f"official spec not found at {SPEC_PATH}")

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "post": {
                "parameters": [{"name": "verbose", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ThingIn"}}},
                },
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}},
                            "text/event-stream": {"schema": {"$ref": "#/components/schemas/ThingEvent"}},
                        },
                    }
                },
            }
        },
        "/things/{id}": {"delete": {"responses": {"204": {"description": "gone"}}}},
    },
    "components": {
        "schemas": {
            "ThingIn": {
                "type": "object",
                "properties": {"kind": {"type": "string", "enum": ["a", "b", "c"]}},
                "required": ["kind"],
            },
            "Thing": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "label": {"type": "string", "nullable": True}},
                "required": ["id"],
            },
            "ThingEvent": {"type": "object", "properties": {"delta": {"type": "string"}}},
        }
    },
}


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document) if path.suffix == ".yaml" else json.dumps(document))
    return path


def _changes(out: Path, old: Path | str, new: Path | str, *args: str, code: int = 1) -> list[dict[str, Any]]:
    """The changes `schemas diff OLD NEW` writes to `out/diff.json`, once it exited `code`."""
    out = out / "diff.json"
    result = _diff(str(old), str(new), "--json", str(out), *args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return json.loads(out.read_text())["changes"]


def test_removed_response_property_narrowed_enum_and_removed_operation_are_classified(tmp_path: Path) -> None:
    new = copy.deepcopy(DOC)
    schemas = new["components"]["schemas"]
    del schemas["Thing"]["properties"]["label"]  # an open object: clients may now get anything there
    schemas["Thing"]["additionalProperties"] = False  # ... closed: the property is now refused
    schemas["ThingIn"]["properties"]["kind"]["enum"] = ["a", "b"]  # a request enum narrowed
    del new["paths"]["/things/{id}"]  # an operation removed
    found = {
        (c["schema"], c["path"], c["category"], tuple(c["breaking_for"]))
        for c in _changes(tmp_path, _write(tmp_path / "old.yaml", DOC), _write(tmp_path / "new.json", new))
    }
    assert ("DELETE /things/{id}", "$", "operation_removed", ("clients",)) in found
    assert (
        "POST /things request application/json",
        "$.properties.kind.enum",
        "enum_value_removed",
        ("clients",),
    ) in found
    assert (
        "POST /things 200 application/json",
        "$.properties.label",
        "property_removed",
        ("servers",),
    ) in found
    assert (
        "POST /things 200 application/json",
        "$.additionalProperties",
        "additional_properties_tightened",
        ("servers",),
    ) in found


def test_parameters_bodies_statuses_media_types_and_events(tmp_path: Path) -> None:
    new = copy.deepcopy(DOC)
    op = new["paths"]["/things"]["post"]
    op["parameters"] = [{"name": "trace", "in": "header", "required": True, "schema": {"type": "string"}}]
    op["responses"]["200"]["content"]["text/event-stream"]["schema"] = {
        "type": "object",
        "properties": {"delta": {"type": "string"}, "done": {"type": "boolean"}},
        "additionalProperties": False,
    }
    op["responses"]["429"] = {"description": "slow down"}
    del op["responses"]["200"]["content"]["application/json"]
    found = {
        (c["schema"], c["category"])
        for c in _changes(tmp_path, _write(tmp_path / "a.json", DOC), _write(tmp_path / "b.json", new))
    }
    assert ("POST /things parameter query:verbose", "parameter_removed") in found
    assert ("POST /things parameter header:trace", "parameter_added") in found
    assert ("POST /things 429", "response_added") in found
    assert ("POST /things 200 application/json", "media_type_removed") in found
    assert ("POST /things 200 text/event-stream (each event)", "additional_properties_tightened") in found


def test_an_unchanged_document_and_nullable_read_as_json_schema(tmp_path: Path) -> None:
    assert (
        _changes(tmp_path, _write(tmp_path / "a.yaml", DOC), _write(tmp_path / "b.json", DOC), code=0) == []
    )
    new = copy.deepcopy(DOC)
    new["components"]["schemas"]["Thing"]["properties"]["label"].pop("nullable")  # null no longer sent
    (change,) = _changes(tmp_path, tmp_path / "a.yaml", _write(tmp_path / "c.json", new))
    assert (change["category"], change["breaking_for"]) == ("type_narrowed", ["servers"])


def test_a_git_revision_and_a_served_document(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    _write(repo / "openapi.yaml", DOC)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    new = copy.deepcopy(DOC)
    del new["paths"]["/things/{id}"]
    _write(repo / "openapi.yaml", new)
    changes = _changes(tmp_path, "HEAD:openapi.yaml", str(repo / "openapi.yaml"), "--repo", str(repo))
    assert [c["category"] for c in changes] == ["operation_removed"]
    with running_mock() as root:  # the mock's own /openapi.json against itself: nothing to report
        result = _diff(f"{root}/openapi.json", f"{root}/openapi.json")
        assert result.exit_code == 0 and "no changes in" in result.output, result.output


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("nowhere.yaml", "doc.yaml", "cannot read"),
        ("notes.yaml", "doc.yaml", "not an OpenAPI document"),
        ("broken.yaml", "doc.yaml", "not valid YAML or JSON"),
        ("doc.yaml", "schemas", "cannot compare an OpenAPI document with a schema set"),
        ("http://127.0.0.1:9/openapi.json", "doc.yaml", "cannot fetch"),
    ],
)
def test_bad_documents_are_one_line_errors(tmp_path: Path, old: str, new: str, words: str) -> None:
    _write(tmp_path / "doc.yaml", DOC)
    (tmp_path / "notes.yaml").write_text("just: notes\n")
    (tmp_path / "broken.yaml").write_text("a: [1, 2\n")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "a_request.json").write_text('{"$id": "https://x.test/a.json"}')

    def where(name: str) -> str:
        return name if name.startswith("http") or name == "nowhere.yaml" else str(tmp_path / name)

    result = _diff(where(old), where(new), "--repo", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error:") and words in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


@needs_spec
def test_the_openai_spec_against_itself_with_one_operation_removed(tmp_path: Path) -> None:
    document = yaml.load(SPEC_PATH.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    del document["paths"]["/embeddings"]["post"]
    edited = tmp_path / "openai-without-embeddings.yaml"
    edited.write_text(yaml.safe_dump(document))
    changes = _changes(tmp_path, SPEC_PATH, edited)
    assert [(c["schema"], c["category"], c["breaking_for"]) for c in changes] == [
        ("POST /v1/embeddings", "operation_removed", ["clients"])  # with the server path
    ]


def test_two_documents_without_operations_are_not_a_pass(tmp_path: Path) -> None:
    empty = {**DOC, "paths": {}}
    result = _diff(str(_write(tmp_path / "a.json", empty)), str(_write(tmp_path / "b.json", empty)))
    assert result.exit_code == 2 and "nothing was compared" in result.output, result.output
