"""Shared fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.wire import redact
from mock_server.server import running_mock


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests (marked `slow`) first: xdist hands tests out in this order, so they start
    at once rather than run alone at the end while the other workers wait."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the rest keep order


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """Root URL of a mock with the default ("fast") profile and no token, shared by the session."""
    with running_mock() as url:
        yield url


@pytest.fixture
def mock_proc(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start `servecheck mock` subprocesses with start(profile YAML, token=..., defects=...) -> root URL;
    they are killed at the end of the test."""
    from test_load_run import start_mock

    started: list = []

    def start(profile: str, **kwargs: object) -> str:
        proc, url = start_mock(tmp_path, profile, **kwargs)
        started.append(proc)
        return url

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


# Under pytest-xdist (make test runs the suite on two workers) every child process would inherit
# PYTEST_XDIST_WORKER, and the pytest runs the tests start as users would would take it for their own.
os.environ.pop("PYTEST_XDIST_WORKER", None)


def pytest_report_header() -> str:
    """Which generator stack ran: CI installs the newest releases, so the log says which they were."""
    from importlib.metadata import version

    names = ("hypothesis", "schemathesis", "jsonschema-rs", "pytest")
    return "servecheck generator stack: " + ", ".join(f"{name} {version(name)}" for name in names)


@pytest.fixture(autouse=True)
def _forget_kept_secrets() -> Iterator[None]:
    """A secret a test's client kept is masked in what this process writes for the rest of its life (a
    command starts with its own): without this, an xdist worker's redaction pattern would grow with
    every test's token and be rebuilt at each."""
    yield
    redact._KEPT.clear()
