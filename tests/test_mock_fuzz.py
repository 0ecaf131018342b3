"""Runs the Schemathesis fuzzing of the mock (tests/mock_fuzzing.py) in a pytest process of its own.

The fuzzing counts the requests it tried across the whole module and fails when too few were: xdist
would split the module's tests between workers, each seeing a part of the count.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).with_name("mock_fuzzing.py")


@pytest.mark.slow
def test_schemathesis_finds_no_fault_in_the_mock(request: pytest.FixtureRequest) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", str(SUITE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=SUITE.parent.parent)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    count = re.search(r"schemathesis: (\d+) requests sent to the mock.*", done.stdout)
    assert count is not None, done.stdout[-2000:]
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\n{count.group(0)}")  # the suite itself fails when too few were tried
