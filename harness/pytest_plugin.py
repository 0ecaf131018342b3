"""A pytest plugin: run the contract catalogue inside a team's own test suite.

    pytest --servecheck-base-url https://host/v1 --servecheck-model NAME

adds one test item per (family, check) that ran, plus one skipped item per skipped family. The contract
run happens once, at collection, with the same engine as `servecheck contract`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

# Neither loads the check catalogue or Hypothesis: that waits until a run is asked for.
from harness.contract.config import OPTIONS
from harness.options import add_pytest_options, default_config_file, resolve

if TYPE_CHECKING:  # the engine's modules load Hypothesis strategies: only when a run is asked for
    from harness.contract.results import ContractResult, FamilyResult


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("servecheck", "contract tests of an OpenAI-compatible endpoint")
    add_pytest_options(group, OPTIONS)


class ServecheckItem(pytest.Item):
    def __init__(
        self, *, family: FamilyResult, check: str | None, skipped: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)
        self.family = family
        self.check = check
        self.skipped = skipped  # a skipped family's reason, or why a check had nothing to judge

    def runtest(self) -> None:
        if self.skipped is not None:
            pytest.skip(self.skipped)
        assert self.check is not None
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
    """The same run as `servecheck contract` (options resolved the same way: flags, SERVECHECK_*,
    servecheck.toml, defaults), with the run folder's handlers when --servecheck-out names one."""
    from harness.contract.baseline import known_signatures, read_baseline
    from harness.contract.config import ContractConfig
    from harness.contract.engine import ContractEngine
    from harness.contract.target import connect
    from harness.report.run_files import run_folder_handlers
    from harness.targets import ConfigError
    from harness.wire.client import TargetUnreachable

    try:
        given = {o.name: config.getoption(f"servecheck_{o.name}") for o in OPTIONS if o.pytest}
        file = default_config_file(config.getoption("servecheck_config"))
        values = resolve(OPTIONS, "contract", given, file)
        options = ContractConfig.from_options(values)
        options.validate()
        known = known_signatures(read_baseline(options.baseline)) if options.baseline else frozenset()
        with connect(options) as (target, client, _):
            secrets = [target.token] if target.token else []
            handlers = run_folder_handlers(options.out, secrets) if options.out else []
            result = ContractEngine(options, target, client, known).run(handlers)
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
    for family in result.families.values():
        if family.status == "skipped":
            items.append(_item(session, family, "skipped", skipped=family.reason))
            continue
        items.extend(_item(session, family, check, check=check) for check in family.checks)
        items.extend(
            _item(session, family, f"{subject} not judged", skipped=f"not judged: {why}")
            for subject, why in family.unjudged.items()
        )


def _item(session: pytest.Session, family: FamilyResult, label: str, **kwargs: object) -> ServecheckItem:
    kwargs.setdefault("check", None)
    return ServecheckItem.from_parent(
        session, name=f"servecheck[{family.family}::{label}]", family=family, **kwargs
    )
