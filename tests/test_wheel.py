"""The built wheel, as a user gets it: `pip install servecheck-*.whl` into a fresh venv, run outside any
checkout. Schemas, report templates and scenarios must come with the package, and run folders land
under the current directory.

The venv borrows its dependencies from this one (a path line in a .pth file: the checkout's editable
install, itself a .pth there, is not run) instead of resolving them again: pip took 50 s of CPU for
that. That the wheel declares every package it imports is `make lint`'s deptry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import orjson
import pytest

from harness import __version__
from harness.paths import ROOT

pytestmark = [pytest.mark.timeout(420), pytest.mark.slow]


def _run(command: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH: nothing of the checkout may leak into the installed package's imports.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding the wheel built from this checkout, and this venv's
    packages for its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base), str(ROOT)], base
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = base.glob("servecheck-*.whl")
    venv.create(base / "venv")  # no pip of its own (ensurepip: 7 s of CPU); this one installs into it
    bin_dir = base / "venv" / "bin"
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "--quiet",
         "--no-compile", "--no-deps", str(wheel)],
        base,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    site = _run(
        [str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base
    )
    Path(site.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return bin_dir


def test_the_wheel_runs_a_contract_and_a_load_run_on_the_embedded_mock(
    installed: Path, tmp_path: Path
) -> None:
    where = _run([str(installed / "python"), "-c", "import harness; print(harness.__file__)"], tmp_path)
    assert str(installed.parent) in where.stdout, where.stdout  # the installed copy, not the checkout

    version = _run([str(installed / "servecheck"), "--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"servecheck {__version__}"

    contract = _run([str(installed / "servecheck"), "contract", "--examples", "2", "--seed", "1"], tmp_path)
    assert contract.returncode == 0, contract.stdout + contract.stderr
    assert "Traceback" not in contract.stderr
    (contract_dir,) = (tmp_path / "servecheck-runs").glob("*-contract-*")
    result = orjson.loads((contract_dir / "contract.json").read_bytes())
    assert (
        result["verdict"] == "passed" and result["totals"]["failed"] == 0 and result["totals"]["passed"] > 50
    )

    load = _run(
        [
            str(installed / "servecheck"),
            "load",
            "--scenario",
            "chat-stream",
            "--users",
            "2",
            "--duration",
            "3s",
        ],
        tmp_path,
    )
    assert load.returncode == 0, load.stdout + load.stderr
    (load_dir,) = (tmp_path / "servecheck-runs").glob("*-load-*")
    figures = orjson.loads((load_dir / "load.json").read_bytes())
    assert figures["verdict"] == "passed" and figures["requests"] > 0

    for run in (contract_dir, load_dir):  # the templates came with the wheel
        report = _run([str(installed / "servecheck"), "report", str(run)], tmp_path)
        assert report.returncode == 0, report.stdout + report.stderr
        assert (run / "report.html").stat().st_size > 10_000

    schemas = _run([str(installed / "servecheck"), "schemas", "list"], tmp_path)
    assert schemas.returncode == 0 and "chat_request" in schemas.stdout
