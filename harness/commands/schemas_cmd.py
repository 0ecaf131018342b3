"""`servecheck schemas ...`: list, show and validate against the project's schemas; diff two schema sets.

Exit codes: 0 done (or valid), 1 the payload breaks the schema (diff: a breaking change), 2 bad input
(unknown schema or revision, unreadable or non-JSON file, broken schema folder).
"""

from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.schemadiff import render
from harness.schemadiff.load import SchemaSetError, load_set
from harness.schemadiff.sets import diff_sets, is_breaking
from harness.schemas.registry import SchemaLoadError, SchemaRegistry, registry

app = typer.Typer(help="Inspect the JSON Schemas and validate payloads against them.", no_args_is_help=True)

SchemaName = Annotated[
    str, typer.Argument(help="Schema name, e.g. chat_request (see `servecheck schemas list`).")
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _registry() -> SchemaRegistry:
    try:
        return registry()
    except SchemaLoadError as exc:
        _fail(f"cannot load the schemas: {exc}")


def _schema(name: str, resolved: bool = False) -> dict[str, Any]:
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


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Old schema set: a folder, or a git revision (e.g. HEAD~3).")],
    new: Annotated[str, typer.Argument(help="New schema set: a folder, or a git revision.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the changes as JSON here.")
    ] = None,
    md_out: Annotated[Path | None, typer.Option("--md", help="Also write a Markdown summary here.")] = None,
    repo: Annotated[Path, typer.Option("--repo", help="Repository whose revisions are read.")] = Path("."),
) -> None:
    """Compare two schema sets; classify each change as breaking for clients, servers or none (exit 1)."""
    try:
        old_set, new_set = load_set(old, repo), load_set(new, repo)
    except SchemaSetError as exc:
        _fail(str(exc))
    changes = diff_sets(old_set, new_set)
    render.print_table(changes, old, new, Console())
    try:
        if json_out is not None:
            json_out.write_bytes(render.to_json(changes, old, new))
        if md_out is not None:
            md_out.write_text(render.to_markdown(changes, old, new))
    except OSError as exc:
        _fail(f"cannot write the report: {exc.strerror}")
    if is_breaking(changes):
        raise typer.Exit(1)
