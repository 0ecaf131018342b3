"""A pytest plugin: run the contract catalogue inside a team's own test suite.

    pytest --servecheck-base-url https://host/v1 --servecheck-model NAME

adds one test item per (family, check) that ran, plus one skipped item per skipped family. The contract
run happens once, at collection, with the same engine as `servecheck contract`.
"""

from __future__ import annotations

import os
import random
from typing import TYPE_CHECKING

import pytest

from harness.levels import DEFAULT_LEVEL, LEVELS  # no imports: the catalogue stays unloaded

if TYPE_CHECKING:  # the engine's modules load Hypothesis strategies: only when a run is asked for
    from harness.contract.results import ContractResult, FamilyResult


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("servecheck", "contract tests of an OpenAI-compatible endpoint")
    group.addoption("--servecheck-base-url", help="target base URL; enables the servecheck items")
    group.addoption("--servecheck-api", default="openai", choices=["openai", "databricks"])
    group.addoption("--servecheck-model", help="chat model or Databricks endpoint")
    group.addoption("--servecheck-embedding-model", help="embedding model or endpoint")
    group.addoption("--servecheck-reasoning-model", help="reasoning model or endpoint")
    group.addoption("--servecheck-token-env", help="variable holding the token")
    group.addoption(
        "--servecheck-no-auth", action="store_true", help="the endpoint takes no token: skip auth checks"
    )
    group.addoption("--servecheck-families", help="comma-separated families (default: all)")
    group.addoption("--servecheck-examples", type=int, default=10)
    group.addoption("--servecheck-seed", type=int, default=None)
    group.addoption(
        "--servecheck-level",
        default=DEFAULT_LEVEL,
        choices=LEVELS,
        help=f"checks that fail the run (default {DEFAULT_LEVEL}); weaker ones warn",
    )


class ServecheckItem(pytest.Item):
    def __init__(self, *, family: FamilyResult, check: str | None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.family = family
        self.check = check

    def runtest(self) -> None:
        if self.check is None:
            pytest.skip(self.family.reason)
        tally = self.family.checks[self.check]
        groups = [
            f for f in self.family.failures if f.check == self.check and f.status == "failed" and not f.known
        ]
        if groups:  # every distinct deviation, each with its reproducer (warnings do not fail)
            lines = [f"{tally.failed} of {tally.passed + tally.failed + tally.warned} exchanges failed"]
            for failure in groups:
                lines += [
                    f"{failure.code}: {failure.message} (at {failure.path})",
                    f"reproduce: {failure.curl}",
                ]
            raise ContractViolation("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None) -> str:
        if isinstance(excinfo.value, ContractViolation):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int, str]:
        return "servecheck", 0, self.name


class ContractViolation(AssertionError):
    pass


def _run(config: pytest.Config) -> ContractResult:
    from harness.contract.config import FAMILIES, ContractConfig, parse_names
    from harness.contract.engine import ContractEngine
    from harness.contract.target import connect
    from harness.targets import ConfigError
    from harness.wire.client import TargetUnreachable

    seed = config.getoption("servecheck_seed")
    options = ContractConfig(
        base_url=config.getoption("servecheck_base_url"),
        api=config.getoption("servecheck_api"),
        model=config.getoption("servecheck_model"),
        embedding_model=config.getoption("servecheck_embedding_model"),
        reasoning_model=config.getoption("servecheck_reasoning_model"),
        token_env=config.getoption("servecheck_token_env"),
        no_auth=config.getoption("servecheck_no_auth"),
        level=config.getoption("servecheck_level"),
        families=parse_names(config.getoption("servecheck_families") or ",".join(FAMILIES)),
        examples=config.getoption("servecheck_examples"),
        seed=random.randrange(2**32) if seed is None else seed,
    )
    try:
        options.validate()
        with connect(options) as (target, client, _):
            result = ContractEngine(options, target, client).run()
    except (ConfigError, TargetUnreachable) as exc:
        raise pytest.UsageError(f"servecheck: {exc}") from None
    if result.verdict == "untested":
        raise pytest.UsageError(f"servecheck: nothing was tested ({result.skip_reasons()})")
    return result


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("servecheck_base_url"):
        return
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Each worker would run its own contract run, and their items would differ: xdist refuses that.
        # Silence would be a green with nothing tested, so say it.
        raise pytest.UsageError(
            "servecheck: the contract items cannot run under pytest-xdist; add -p no:xdist"
        )
    result = _run(config)
    for name, family in result.families.items():
        checks: list[str | None] = [None] if family.status == "skipped" else list(family.checks)
        for check in checks:
            items.append(
                ServecheckItem.from_parent(
                    session, name=f"servecheck[{name}::{check or 'skipped'}]", family=family, check=check
                )
            )
