"""Where a run's target comes from, shared by `contract` and `load`: the --base-url flag, else the
api's host variable, else the embedded mock; and the variable that holds its token."""

from __future__ import annotations

import os

TOKEN_ENV = {"openai": "OPENAI_API_KEY", "databricks": "DATABRICKS_TOKEN"}
HOST_ENV = {"openai": "OPENAI_BASE_URL", "databricks": "DATABRICKS_HOST"}
# The embedded mock's models (mock_server/profiles/fast.yaml).
MOCK_MODELS = {"chat": "mock-chat", "embedding": "mock-embed", "reasoning": "mock-reasoning"}


class ConfigError(Exception):
    """A usage or configuration problem: reported as one line, exit code 2."""


def live_base_url(base_url: str | None, api: str) -> str | None:
    """The live target's base URL: the flag, else the api's host variable; None means the mock."""
    url = base_url or os.environ.get(HOST_ENV[api]) or None
    return url.rstrip("/") if url else None
