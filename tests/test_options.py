"""One option specification: servecheck.toml, SERVECHECK_* and flags layer the same way for the CLI and
the pytest plugin, and a bad file is one line and exit 2."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.contract.config import OPTIONS, ContractConfig
from harness.load.options import LOAD_OPTIONS, LoadConfig
from harness.options import add_locust_arguments

CLEAN = {name: "" for name in ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")}


def _contract(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`servecheck contract` run from `cwd` (where ./servecheck.toml is looked for)."""
    done = subprocess.run(
        [sys.executable, "-c", "from harness.cli import app; app()", "contract", *args],
        cwd=cwd,
        env={**os.environ, **CLEAN, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def _flags(run_dir: Path) -> dict:
    return orjson.loads((run_dir / "run.json").read_bytes())["flags"]


def test_the_file_then_the_environment_then_the_flag(tmp_path: Path) -> None:
    (tmp_path / "servecheck.toml").write_text(
        '[contract]\nfamilies = ["chat", "embeddings"]\nexamples = 3\nseed = 5\nlevel = "${MY_LEVEL}"\n'
        "[load]\nusers = 99\n"
    )
    code, output = _contract(tmp_path, "--out", "a", env={"MY_LEVEL": "strict"})
    assert code == 0, output
    flags = _flags(tmp_path / "a")
    assert flags["families"] == ["chat", "embeddings"] and flags["examples"] == 3 and flags["seed"] == 5
    assert flags["level"] == "strict"  # ${MY_LEVEL} from the environment
    result = orjson.loads((tmp_path / "a" / "contract.json").read_bytes())
    assert set(result["families"]) == {"chat", "embeddings"}

    env = {"MY_LEVEL": "strict", "SERVECHECK_EXAMPLES": "2"}
    code, output = _contract(tmp_path, "--out", "b", env=env)
    assert code == 0 and _flags(tmp_path / "b")["examples"] == 2  # the variable beats the file
    code, output = _contract(tmp_path, "--out", "c", "--examples", "1", env=env)
    assert code == 0 and _flags(tmp_path / "c")["examples"] == 1  # the flag beats both


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[contract]\nexampels = 3\n", "[contract] has no option 'exampels'"),
        ("[contract\n", "not TOML"),
        ('[contract]\nmodel = "${NOT_SET_ANYWHERE}"\n', "${NOT_SET_ANYWHERE} is not set"),
        ('[contract]\nexamples = "many"\n', "'many' is not a valid integer"),
    ],
    ids=["unknown-key", "not-toml", "unset-variable", "wrong-type"],
)
def test_a_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(text)
    code, output = _contract(tmp_path, "--config", str(path), "--families", "chat")
    assert code == 2, output
    assert message in output and "Traceback" not in output
    assert not (tmp_path / "servecheck-runs").exists()  # nothing ran


def test_a_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["contract", "--config", str(tmp_path / "none.toml")])
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_the_pytest_plugin_reads_the_same_file_and_writes_the_run_folder(tmp_path: Path) -> None:
    from mock_server.server import running_mock

    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    (tmp_path / "servecheck.toml").write_text('[contract]\nfamilies = "chat"\nexamples = 2\nno_auth = true\n')
    with running_mock() as root:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
             "--servecheck-base-url", root + "/v1", "--servecheck-model", "mock-chat",
             "--servecheck-out", "run", str(tmp_path)],
            capture_output=True, text=True, timeout=120, env={**os.environ, **CLEAN}, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "servecheck[chat::schema.response]" not in done.stdout  # -q: passed items are dots
    result = orjson.loads((tmp_path / "run" / "contract.json").read_bytes())
    assert list(result["families"]) == ["chat"]  # from the file
    assert (tmp_path / "run" / "findings.jsonl").exists() and (tmp_path / "run" / "junit.xml").exists()


def test_every_option_is_a_config_field_and_reaches_every_front_end() -> None:
    for options, config in ((OPTIONS, ContractConfig), (LOAD_OPTIONS, LoadConfig)):
        fields = {f.name for f in dataclasses.fields(config)}
        assert {o.name for o in options} <= fields
    names = [o.cli for o in LOAD_OPTIONS if o.locust]

    class Parser:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def add_argument(self, name: str, **_: object) -> None:
            self.seen.append(name)

    parser = Parser()
    add_locust_arguments(parser, LOAD_OPTIONS)
    assert parser.seen == names and "--model" in names and "--max-error-rate" in names


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('duration = "forever"', "--duration 'forever'"),  # a key is the flag's name
        ("users = 0", "--users must be at least 1"),
        ('max_error_rate = "${RATE}"', "--max-error-rate '150%': must be between 0% and 100%"),
    ],
)
def test_load_reads_its_own_table_and_validates_it_once(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "servecheck.toml").write_text(f"[contract]\nexamples = 1\n[load]\n{table}\n")
    done = subprocess.run(
        [sys.executable, "-c", "from harness.cli import app; app()", "load"],
        cwd=tmp_path, env={**os.environ, **CLEAN, "RATE": "150%"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and message in done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "servecheck-runs").exists()


def test_a_load_run_from_its_table(tmp_path: Path) -> None:
    (tmp_path / "servecheck.toml").write_text(
        '[load]\nscenario = "chat"\nusers = 2\nduration = "30s"\nout = "run"\n'
    )
    done = subprocess.run(
        [sys.executable, "-c", "from harness.cli import app; app()", "load"],
        cwd=tmp_path, env={**os.environ, **CLEAN, "SERVECHECK_DURATION": "2s"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    config = orjson.loads((tmp_path / "run" / "load.json").read_bytes())["config"]
    assert config["users"] == 2 and config["duration_s"] == 2  # the file, then the variable over it
    assert config["user_classes"] == ["ChatUser"]
