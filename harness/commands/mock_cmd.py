"""`servecheck mock`: serve the embedded mock endpoint in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from mock_server.defects import DEFECTS


def mock(
    host: Annotated[
        str, typer.Option(help="Address to listen on (a non-loopback one exposes the mock).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: a free one).")] = 8000,
    profile: Annotated[
        str, typer.Option(help="Profile: a built-in name (fast, realistic) or a YAML file.")
    ] = "fast",
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SERVECHECK_MOCK_TOKEN", help="Require this Bearer token (or set $SERVECHECK_MOCK_TOKEN)."
        ),
    ] = None,
    defect: Annotated[
        list[str] | None,
        typer.Option(help="Break the contract on purpose (repeatable): " + ", ".join(DEFECTS) + "."),
    ] = None,
) -> None:
    """Serve the mock OpenAI / Databricks endpoint (chat, completions, embeddings, models)."""
    # Imported here so other commands do not pay for starlette, uvicorn and the tokenizer.
    from mock_server.app import create_app
    from mock_server.profile import ProfileError, load_profile
    from mock_server.server import serve

    unknown = [name for name in defect or () if name not in DEFECTS]
    if unknown:
        _fail(f"unknown defect {unknown[0]!r}; known: {', '.join(DEFECTS)}")
    try:
        loaded = load_profile(profile)
    except ProfileError as exc:
        _fail(str(exc))
    app = create_app(loaded, token, defect or ())
    defects = sorted({*loaded.defects, *(defect or ())})

    def announce(url: str) -> None:
        lines = [
            f"servecheck mock on {url} (profile {loaded.name}; GET /health)",
            f"  models:          {', '.join(m.name for m in loaded.models)}",
            f"  OpenAI base URL: {url}/v1",
            f"  Databricks host: {url} (OpenAI client base URL {url}/serving-endpoints;"
            f" native route /serving-endpoints/<model>/invocations)",
            f"  auth:            {'Bearer token required' if token else 'none'}",
        ]
        if defects:
            lines.append(f"  defects:         {', '.join(defects)}")
        typer.echo("\n".join([*lines, "Ctrl-C to stop."]))

    try:
        serve(app, host, port, announce)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
