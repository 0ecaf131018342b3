"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_server.server import running_mock


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """Root URL of a mock with the default ("fast") profile and no token, shared by the session."""
    with running_mock() as url:
        yield url
