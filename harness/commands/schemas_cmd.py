"""`servecheck schemas ...`: list, show and validate against the project's schemas; diff two schema sets.

Exit codes: 0 done (or valid), 1 the payload breaks the schema (diff: a breaking change, or with
`--fail-on any` any change), 2 bad input (unknown schema or revision, unreadable or non-JSON file, broken
schema folder; diff: something that could not be compared, when nothing else failed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from harness.schemadiff.classify import Direction
    from harness.schemadiff.sets import SchemaDiff
    from harness.schemas.registry import SchemaRegistry

app = typer.Typer(help="Inspect the JSON Schemas and validate payloads against them.", no_args_is_help=True)

SchemaName = Annotated[
    str, typer.Argument(help="Schema name, e.g. chat_request (see `servecheck schemas list`).")
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _registry() -> SchemaRegistry:
    from harness.schemas.registry import SchemaLoadError, registry

    try:
        return registry()
    except SchemaLoadError as exc:
        _fail(f"cannot load the schemas: {exc}")


def _schema(name: str, resolved: bool = False) -> dict[str, Any]:
    from harness.schemas.registry import SchemaLoadError

    schemas = _registry()
    if name not in schemas.names():
        _fail(f"unknown schema {name!r}; known: {', '.join(schemas.names())}")
    try:
        return schemas.resolved(name) if resolved else schemas.raw(name)
    except SchemaLoadError as exc:
        _fail(f"cannot resolve schema {name!r}: {exc}")


def _summary(schema: dict[str, Any]) -> str:
    title, description = schema.get("title", ""), schema.get("description", "")
    return f"{title}: {description}" if title and description else title or description


@app.command("list")
def list_schemas() -> None:
    """List every schema: name, $id and what it covers."""
    schemas = _registry()
    rows = [(name, schemas.raw(name)["$id"], _summary(schemas.raw(name))) for name in schemas.names()]
    table = Table("name", "$id", "covers")
    table.columns[0].no_wrap = True
    table.columns[1].overflow = "fold"  # on narrow terminals the $id folds rather than vanishes
    table.columns[2].min_width = 24
    for name, schema_id, summary in rows:
        # One line each: a long summary ends in an ellipsis.
        line = Text((summary.splitlines() or [""])[0], no_wrap=True, overflow="ellipsis")
        table.add_row(name, schema_id, line)
    Console().print(table)


@app.command()
def show(
    name: SchemaName,
    resolved: Annotated[
        bool, typer.Option("--resolved", help="Inline every $ref: the self-contained form generators use.")
    ] = False,
) -> None:
    """Print a schema as pretty JSON."""
    typer.echo(orjson.dumps(_schema(name, resolved), option=orjson.OPT_INDENT_2).decode())


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="A JSON file holding one payload.")],
    schema: Annotated[str, typer.Option("--schema", "-s", help="Schema name to validate against.")],
) -> None:
    """Validate a JSON file against a schema: exit 0 if valid, 1 listing each error's JSON path."""
    _schema(schema)
    try:
        instance = orjson.loads(file.read_bytes())
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}")
    except orjson.JSONDecodeError as exc:
        _fail(f"{file} is not JSON: {exc}")
    errors = _registry().errors(schema, instance)
    if not errors:
        typer.echo("valid")
        return
    typer.echo(f"invalid: {len(errors)} error(s) against {schema}")
    for error in errors:
        typer.echo(f"  {error}")
    raise typer.Exit(1)


def _choice(value: str | None, choices: tuple[str, ...], flag: str) -> str | None:
    if value is not None and value not in choices:
        _fail(f"{flag}: {value!r} is not one of {', '.join(choices)}")
    return value


def _compare(old: str, new: str, repo: Path, given: Direction | None) -> SchemaDiff:
    from harness.schemadiff.load import load_set
    from harness.schemadiff.operations import diff_documents, is_document, load_document
    from harness.schemadiff.sets import diff_sets

    documents = is_document(old), is_document(new)
    if documents[0] != documents[1]:
        _fail(f"cannot compare an OpenAPI document with a schema set: {old} vs {new}")
    if documents[0]:
        if given is not None:
            _fail("--direction applies to schema sets: an OpenAPI document says which way each schema goes")
        return diff_documents(load_document(old, repo), load_document(new, repo))
    return diff_sets(load_set(old, repo), load_set(new, repo), given)


@app.command()
def diff(
    old: Annotated[
        str,
        typer.Argument(
            help="Old side: a schema folder, a git revision (HEAD~3), or an OpenAPI document: a YAML/JSON "
            "file, REVISION:PATH, or an http(s) URL (/openapi.json)."
        ),
    ],
    new: Annotated[str, typer.Argument(help="New side, of the same kind.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the changes as JSON here.")
    ] = None,
    md_out: Annotated[Path | None, typer.Option("--md", help="Also write a Markdown summary here.")] = None,
    repo: Annotated[Path, typer.Option("--repo", help="Repository whose revisions are read.")] = Path("."),
    direction: Annotated[
        str | None,
        typer.Option(
            "--direction",
            help="Which way every schema of the sets travels: request, response or unknown (default: the "
            "file's x-servecheck-direction keyword, else its name, else unknown: breaking either way).",
        ),
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 on a breaking change (breaking) or on any change (any).")
    ] = "breaking",
) -> None:
    """Compare two schema sets or OpenAPI documents; classify each change as breaking for clients,
    servers or none (exit 1), and list whatever could not be compared (exit 2 if nothing else failed)."""
    from harness.schemadiff import render
    from harness.schemadiff.classify import DIRECTIONS
    from harness.schemadiff.load import SchemaSetError
    from harness.schemadiff.sets import FAIL_ON

    given = _choice(direction, DIRECTIONS, "--direction")
    _choice(fail_on, FAIL_ON, "--fail-on")
    try:
        found = _compare(old, new, repo, given)  # type: ignore[arg-type]
    except SchemaSetError as exc:
        _fail(str(exc))
    render.print_table(found, old, new, Console())
    try:
        if json_out is not None:
            json_out.write_bytes(render.to_json(found, old, new))
        if md_out is not None:
            md_out.write_text(render.to_markdown(found, old, new))
    except OSError as exc:
        _fail(f"cannot write the report: {exc.strerror}")
    if found.fails(fail_on):  # type: ignore[arg-type]
        raise typer.Exit(1)
    if found.not_compared:
        raise typer.Exit(2)
    if not found.compared:  # no verdict without evidence: nothing was there to compare
        typer.echo("error: nothing was compared (no schema or operation on either side)", err=True)
        raise typer.Exit(2)
