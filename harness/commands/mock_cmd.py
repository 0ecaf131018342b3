"""`servecheck mock`: serve the embedded mock endpoint in the foreground until Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from harness.families.features import FEATURES
from harness.runs.files import write_text
from mock_server.defects import DEFECTS, check_defects
from mock_server.faults import FAULTS, FaultError, check_faults
from mock_server.flavours import FLAVOURS, check_flavour


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
    decline: Annotated[
        list[str] | None,
        typer.Option(
            help="Refuse an optional feature with a clean 400 naming its parameter (repeatable): "
            + ", ".join(FEATURES)
            + "."
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="Misbehave on the wire (repeatable; POSTs get them in turn, loopback only): "
            + ", ".join(FAULTS)
            + "."
        ),
    ] = None,
    fault_share: Annotated[
        float, typer.Option(help="Share of POST requests that get a fault; the rest are answered well.")
    ] = 1.0,
    flavour: Annotated[
        str | None,
        typer.Option(
            help="Answer every route as this server does: "
            + ", ".join(FLAVOURS)
            + " (default: /v1 as OpenAI, /serving-endpoints and /api/2.0 as Databricks)."
        ),
    ] = None,
    url_file: Annotated[
        Path | None,
        typer.Option(help="Write the URL served, once listening, to this file (for programs that start it)."),
    ] = None,
) -> None:
    """Serve the mock OpenAI / Databricks endpoint (chat, completions, embeddings, models)."""
    # Imported here so other commands do not pay for starlette, uvicorn and the tokenizer.
    from mock_server.app import create_app
    from mock_server.profile import ProfileError, load_profile
    from mock_server.server import running_mock, serve

    try:
        check_defects(defect or ())
        check_flavour(flavour)
    except ValueError as exc:
        _fail(str(exc))
    if fault:
        try:
            check_faults(fault, fault_share)
        except FaultError as exc:
            _fail(str(exc))
    try:
        loaded = load_profile(profile)
    except ProfileError as exc:
        _fail(str(exc))
    if decline:
        try:
            loaded = replace(loaded, declines=tuple(sorted({*loaded.declines, *decline})))
        except ValueError as exc:
            _fail(str(exc))
    defects = sorted({*loaded.defects, *(defect or ())})

    def announce(url: str) -> None:
        lines = [
            f"servecheck mock on {url} (profile {loaded.name}; GET /health)",
            f"  models:          {', '.join(m.name for m in loaded.models)}",
            f"  OpenAI base URL: {url}/v1",
            f"  Databricks host: {url} (OpenAI client base URL {url}/serving-endpoints;"
            f" native route /serving-endpoints/<model>/invocations)",
            f"  flavour:         {flavour or 'by route (/v1 OpenAI, /serving-endpoints Databricks)'}",
            f"  auth:            {_auth_line(token, flavour)}",
        ]
        if defects:
            lines.append(f"  defects:         {', '.join(defects)}")
        if loaded.declines:
            lines.append(f"  declines:        {', '.join(loaded.declines)}")
        if fault:
            lines.append(f"  faults:          {', '.join(fault)} on {fault_share:.0%} of POSTs")
        typer.echo("\n".join([*lines, "Ctrl-C to stop."]))
        if url_file is not None:
            write_text(url_file, url)  # atomic: a reader never sees half of it

    try:
        if fault:
            mocked = running_mock(loaded, token, defect or (), flavour=flavour)
            _serve_faulty(mocked, host, port, fault, fault_share, announce)
        else:
            serve(create_app(loaded, token, defect or (), flavour), host, port, announce)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


def _auth_line(token: str | None, flavour: str | None) -> str:
    if not token:
        return "none"
    basic = {
        None: " (or Basic token:<token> on Databricks routes)",
        "databricks": " (or Basic token:<token>)",
    }
    return "Bearer token required" + basic.get(flavour, "")


def _serve_faulty(
    mock: AbstractContextManager[str],
    host: str,
    port: int,
    faults: list[str],
    share: float,
    announce: Callable[[str], None],
) -> None:
    """The fault server on host:port, in front of `mock` (running in the background on a free port)."""
    from mock_server.faults import loopback_socket, serve_faults
    from mock_server.server import url_of

    try:
        sock = loopback_socket(host, port)
    except FaultError as exc:
        _fail(str(exc))
    with sock, mock as upstream:
        announce(url_of(sock))
        serve_faults(upstream, faults, share, sock, threading.Event())  # until Ctrl-C


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
