"""The system under test: a live endpoint, or the embedded mock started for the run and stopped after."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from harness.contract.config import ContractConfig
from harness.families import CONTRACT, model_role
from harness.targets import MOCK_MODELS
from harness.wire.client import TargetClient
from harness.wire.preflight import Preflight, preflight


@dataclass(frozen=True)
class Target:
    base_url: str  # OpenAI: the SDK's base URL (".../v1"); Databricks: the workspace host
    api: str
    token: str | None  # held here and in the client only; never written anywhere
    token_env: str
    chat_model: str | None
    embedding_model: str | None
    reasoning_model: str | None
    embedded: bool

    def model_for(self, family: str) -> str | None:
        """The model serving a contract family, by its model role."""
        roles = {
            "chat": self.chat_model,
            "embedding": self.embedding_model,
            "reasoning": self.reasoning_model,
        }
        return roles[model_role(family)]

    def describe(self) -> dict[str, object]:
        return {
            "base_url": self.base_url,
            "api": self.api,
            "embedded_mock": self.embedded,
            "models": {
                "chat": self.chat_model,
                "embedding": self.embedding_model,
                "reasoning": self.reasoning_model,
            },
            "auth": f"Bearer ${self.token_env}" if self.token else "none",
        }


@contextmanager
def open_target(config: ContractConfig) -> Iterator[Target]:
    """Yield the target: the live URL when one is configured, else a fresh embedded mock.

    The embedded mock enforces a random token, so the auth family has something to test.
    """
    live = config.live_base_url()
    if live:
        yield Target(
            base_url=live,
            api=config.api,
            token=os.environ.get(config.token_var) or None,
            token_env=config.token_var,
            chat_model=config.model,
            embedding_model=config.embedding_model,
            reasoning_model=config.reasoning_model,
            embedded=False,
        )
        return
    from mock_server.server import running_mock  # the mock's dependencies load only when it is used

    token = secrets.token_urlsafe(24)
    with running_mock(token=token) as root:
        yield Target(
            base_url=root + "/v1" if config.api == "openai" else root,
            api=config.api,
            token=token,
            token_env=config.token_var,
            chat_model=config.model or MOCK_MODELS["chat"],
            embedding_model=config.embedding_model or MOCK_MODELS["embedding"],
            reasoning_model=config.reasoning_model or MOCK_MODELS["reasoning"],
            embedded=True,
        )


@contextmanager
def connect(config: ContractConfig) -> Iterator[tuple[Target, TargetClient, Preflight]]:
    """The target (its missing models discovered), a client for it, and what the pre-flight found.

    Raises TargetUnreachable or ConfigError (TargetRefused) before any family runs when the target
    cannot be tested; a client refuses, as a ConfigError, a token no header can carry.
    """
    with (
        open_target(config) as target,
        TargetClient(
            target.base_url,
            target.token,
            target.token_env,
            api=target.api,
            timeout=config.timeout,
            rate=config.rate,
            max_requests=config.max_requests,
        ) as client,
    ):
        found = preflight(client, target.api, _wanted(target, config.families))
        chat = found.models.get("chat", target.chat_model)
        embedding = found.models.get("embeddings", target.embedding_model)
        yield replace(target, chat_model=chat, embedding_model=embedding), client, found


def _wanted(target: Target, families: tuple[str, ...]) -> dict[str, str | None]:
    """The payload kinds a run sends, the chat model's first unless only embeddings are tested."""
    chat = {"chat": target.chat_model}
    embeddings = {"embeddings": target.embedding_model}
    kinds = {CONTRACT[family].payload for family in families}
    if kinds == {"embeddings"}:
        return embeddings
    return {**chat, **embeddings} if "embeddings" in kinds or "errors" in families else chat
