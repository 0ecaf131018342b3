"""Where a run's target comes from, shared by `contract` and `load`: the --base-url flag, else the
api's host variable, else the embedded mock; and the variable that holds its token."""

from __future__ import annotations

import os
import re

TOKEN_ENV = {"openai": "OPENAI_API_KEY", "databricks": "DATABRICKS_TOKEN"}
HOST_ENV = {"openai": "OPENAI_BASE_URL", "databricks": "DATABRICKS_HOST"}
# The embedded mock's models (mock_server/profiles/fast.yaml).
MOCK_MODELS = {"chat": "mock-chat", "embedding": "mock-embed", "reasoning": "mock-reasoning"}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # what a shell expands as $NAME


class ConfigError(Exception):
    """A usage or configuration problem: reported as one line, exit code 2."""


def check_target(api: str, base_url: str | None, token_env: str | None) -> None:
    """ConfigError for an unknown api, a base URL that is not http(s):// or a token variable that is
    no environment variable name (failure reports quote it as $NAME in a curl command)."""
    if api not in TOKEN_ENV:
        raise ConfigError(f"--api must be openai or databricks, not {api!r}")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must start with http:// or https://, got {base_url!r}")
    if token_env and not ENV_NAME.fullmatch(token_env):  # empty: the api's default variable
        raise ConfigError(
            f"--token-env must be an environment variable name (letters, digits and _), got {token_env!r}"
        )


def live_base_url(base_url: str | None, api: str) -> str | None:
    """The live target's base URL: the flag, else the api's host variable; None means the mock."""
    url = base_url or os.environ.get(HOST_ENV[api]) or None
    return url.rstrip("/") if url else None
