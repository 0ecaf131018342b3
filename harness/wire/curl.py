"""A copy-pasteable curl command that reproduces a Request, for failure reports.

The token is never written out: the command references its environment variable instead, which the
shell expands when the user runs it.
"""

from __future__ import annotations

import shlex

from harness.targets import ENV_NAME
from harness.wire.client import encode_body, request_headers, target_url
from harness.wire.exchange import Request


def curl_command(request: Request, base_url: str, token_env: str | None) -> str:
    """The curl command line for `request`; with `token_env`, "Authorization: Bearer $TOKEN_ENV"."""
    parts = ["curl"]
    if request.stream:
        parts.append("-N")  # print events as they arrive
    parts += ["-X", shlex.quote(request.method.upper()), shlex.quote(target_url(base_url, request.path))]
    if token_env is not None:
        if not ENV_NAME.fullmatch(token_env):  # a shell-injection guard: the name goes in unquoted
            raise ValueError(f"not an environment variable name: {token_env!r}")
        parts += ["-H", f'"Authorization: Bearer ${token_env}"']  # double quotes: the shell expands it
    for name, value in request_headers(request).items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.body is not None:
        parts += ["--data-raw", shlex.quote(encode_body(request.body).decode())]
    return " ".join(parts)
