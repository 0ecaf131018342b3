"""The options of a contract run: declared once (OPTIONS, for the CLI, the pytest plugin, servecheck.toml
and SERVECHECK_*), resolved into one plain object that validates them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.families import CONTRACT
from harness.families.features import FEATURES
from harness.levels import DEFAULT_LEVEL, LEVELS
from harness.options import Option, bind, config_values
from harness.targets import TOKEN_ENV, ConfigError, check_target, live_base_url

FAMILIES = tuple(CONTRACT)
DEFAULT_FAMILIES = tuple(name for name, family in CONTRACT.items() if not family.opt_in)

SHRINK_BUDGET = 40  # extra requests one failure group may spend on shrinking


@dataclass
class ContractConfig:
    base_url: str | None = None  # None: the environment's host, else the embedded mock
    api: str = "openai"
    model: str | None = None
    embedding_model: str | None = None
    reasoning_model: str | None = None
    token_env: str | None = None  # None: OPENAI_API_KEY or DATABRICKS_TOKEN by api
    no_auth: bool = False  # the endpoint takes no token (vLLM's OPENAI_API_KEY=EMPTY): no auth checks
    families: tuple[str, ...] = DEFAULT_FAMILIES
    examples: int = 10
    seed: int = 0
    max_requests: int | None = None
    rate: float | None = None
    concurrency: int = 4
    timeout: float = 30.0
    no_shrink: bool = False  # keep each failure group's first example: no extra requests
    level: str = DEFAULT_LEVEL  # checks at this level or stronger fail the run; weaker ones warn
    require: tuple[str, ...] = ()  # optional features whose clean refusal is a failure, not UNSUPPORTED
    baseline: Path | None = None  # known failure groups: only new ones fail the run
    out: Path | None = None
    junit: Path | None = None

    def validate(self) -> None:
        check_target(self.api, self.base_url, self.token_env)
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown or not self.families:
            raise ConfigError(
                f"unknown families: {', '.join(unknown) or '(none given)'}; choose from {', '.join(FAMILIES)}"
            )
        if self.examples < 1:
            raise ConfigError("--examples must be at least 1")
        if self.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        if self.rate is not None and self.rate <= 0:
            raise ConfigError("--rate must be positive")
        if self.max_requests is not None and self.max_requests < 1:
            raise ConfigError("--max-requests must be at least 1")
        if self.timeout <= 0:
            raise ConfigError("--timeout must be positive")
        if self.level not in LEVELS:
            raise ConfigError(f"--level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        unknown = [f for f in self.require if f not in FEATURES]
        if unknown:
            raise ConfigError(f"--require: unknown feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")

    @classmethod
    def from_options(cls, values: dict[str, Any]) -> ContractConfig:
        """The config of option values (OPTIONS, resolved by a front end); no --seed: a random one."""
        config = cls(**config_values(OPTIONS, values))
        if values.get("seed") is None:
            config.seed = random.randrange(2**32)
        return config

    @property
    def token_var(self) -> str:
        return self.token_env or TOKEN_ENV[self.api]

    def live_base_url(self) -> str | None:
        """The live target (--base-url, else the api's environment variable); None: the embedded mock."""
        return live_base_url(self.base_url, self.api)


def parse_names(text: str) -> tuple[str, ...]:
    """A comma-separated flag (`--families chat,stream`, `--require n,tools`) as names."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _names(value: tuple[str, ...]) -> str:
    return ",".join(value)


OPTIONS = bind(
    ContractConfig,
    [
        Option(
            "base_url",
            "Target (OpenAI: the SDK's base URL, .../v1; Databricks: the workspace host). Default: "
            "$OPENAI_BASE_URL / $DATABRICKS_HOST, else the embedded mock.",
            optional=True,
        ),
        Option("api", "openai or databricks"),
        Option("model", "Chat model (Databricks: serving endpoint name).", optional=True),
        Option("embedding_model", "Embedding model or endpoint.", optional=True),
        Option("reasoning_model", "Reasoning model or endpoint.", optional=True),
        Option(
            "token_env",
            "Variable holding the token (default OPENAI_API_KEY / DATABRICKS_TOKEN).",
            optional=True,
        ),
        Option("no_auth", "The endpoint takes no token: skip the auth checks.", bool, flag="--no-auth"),
        Option("families", "Comma-separated families to test.", parse=parse_names, show=_names),
        Option("examples", "Generated requests per family.", int),
        Option("seed", "Hypothesis seed; the same seed reproduces a run (default: random).", int, None, True),
        Option("max_requests", "Stop after this many requests in all.", int, optional=True),
        Option("rate", "At most this many requests per second.", float, optional=True),
        Option("concurrency", "Requests in flight at once.", int),
        Option("timeout", "Seconds a request (a whole stream included) may take.", float),
        Option(
            "no_shrink",
            "Keep each failure's first request instead of shrinking it to a minimal one (up to"
            f" {SHRINK_BUDGET} more requests a failure group).",
            bool,
            flag="--no-shrink",
        ),
        Option("level", "Checks that fail the run: spec, compat (spec + compat) or strict (all)."),
        Option(
            "require",
            f"Features that must be supported: a clean refusal fails ({', '.join(FEATURES)}).",
            metavar="F,...",
            parse=parse_names,
            show=_names,
        ),
        Option(
            "baseline",
            "Known failures (a contract.json or `servecheck baseline` file): only new ones fail.",
            Path,
            optional=True,
        ),
        Option("out", "Run folder (default servecheck-runs/<time>-contract-<host>).", Path, optional=True),
        # pytest writes its own JUnit (--junitxml), servecheck's items included.
        Option(
            "junit",
            "Also write JUnit XML here (always written into --out).",
            Path,
            optional=True,
            pytest=False,
        ),
    ],
)
