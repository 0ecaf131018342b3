"""`servecheck load` usage errors: one line, exit 2, no traceback, nothing started."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.load.options import LoadConfig, parse_duration
from harness.load.runner import LOOPBACK_ONLY_ENV, SHAPE_LOCUSTFILE, Target, locust_command
from harness.paths import SCENARIOS_DIR


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "forever"], "--duration 'forever'"),
        (["--duration", "0"], "--duration must be between"),
        (["--duration", "25h"], "--duration must be between"),
        (["--scenario", "poetry"], "unknown scenario 'poetry'"),
        (["--shape", "zigzag"], "unknown shape"),
        (["--api", "azure"], "--api must be openai or databricks"),
        (["--users", "0"], "--users must be at least 1"),
        (["--rate", "-5"], "--rate must be a positive"),
        (["--rate", "5", "--shape", "sweep"], "closed loop"),
        (["--slo", "p95_ttft<=500"], "unknown SLO metric"),
        (["--slo", "p95_ttft_ms=500"], "cannot parse SLO"),
        (["--validate-sample", "1.5"], "--validate-sample must be between 0 and 1"),
        (["--input-tokens", "normal:5"], "--input-tokens 'normal:5'"),
        (["--output-tokens", "lots"], "--output-tokens 'lots'"),
        (["--prompts", "/nonexistent/requests.jsonl"], "no such file"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
        (["--processes", "0"], "--processes must be between"),
        (["--base-url", "ftp://example.com"], "--base-url must start with http"),
        (["--token-env", "MY-TOKEN"], "--token-env must be an environment variable name"),
        (["--max-requests", "0"], "--max-requests must be at least 1"),
        (["--timeout", "0"], "--timeout must be a positive"),
        (["--arrivals", "bursty"], "--arrivals must be poisson or constant"),
        (["--burstiness", "0"], "--burstiness must be a positive number"),
        (["--burstiness", "2", "--arrivals", "constant"], "not with --arrivals constant"),
        (["--master"], "workers elsewhere cannot reach the embedded mock; give --base-url"),
        (["--master", "--worker"], "a process is one or the other"),
        (["--worker", "--web"], "a worker has none"),
        (["--worker", "--processes", "2"], "not with --master or --worker"),
        (["--web", "--web-port", "70000"], "--web-port must be a TCP port"),
        (
            ["--master", "--base-url", "http://127.0.0.1:9/v1", "--expect-workers", "0"],
            "--expect-workers must be",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["load", "--out", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing ran


def test_loopback_guard_refuses_other_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOOPBACK_ONLY_ENV, "1")
    result = CliRunner().invoke(
        app, ["load", "--base-url", "http://192.0.2.1:8000/v1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "refusing to load 192.0.2.1" in result.output


def test_duration_forms() -> None:
    assert [parse_duration(t) for t in ("45", "45s", "2m", "1h", "1h2m3s")] == [45, 45, 120, 3600, 3723]


def test_locust_command_carries_no_token_and_splits_the_open_loop_rate(tmp_path: Path) -> None:
    config = LoadConfig(rate=20.0, users=4, processes=2, slo="error_rate<=0.1")
    target = Target("http://127.0.0.1:9/v1", embedded=True, env={"OPENAI_API_KEY": "sk-secret-token"})
    command = locust_command(config, target, tmp_path)
    assert "sk-secret-token" not in " ".join(command)
    assert command[command.index("--arrival-rate") + 1] == "5.0"
    assert command[command.index("--processes") + 1] == "2"
    assert command[command.index("-t") + 1] == "60s"
    assert command[command.index("-f") + 1] == f"{SCENARIOS_DIR / 'chat_stream.py'},{SHAPE_LOCUSTFILE}"
    assert "--headless" in command and "--web-port" not in command


def test_locust_command_for_the_web_ui_a_master_and_a_worker(tmp_path: Path) -> None:
    target = Target("http://127.0.0.1:9/v1", embedded=False)
    web = locust_command(LoadConfig(web=True, web_port=8123), target, tmp_path)
    assert "--headless" not in web and {"--autostart", "--web-port", "8123"} <= set(web)
    assert web[web.index("--web-host") + 1] == "127.0.0.1"  # the UI can start runs: loopback only
    master = locust_command(LoadConfig(master=True, expect_workers=3, master_port=6000), target, tmp_path)
    assert master[master.index("--expect-workers") + 1] == "3"
    assert master[master.index("--master-bind-port") + 1] == "6000"
    worker = locust_command(LoadConfig(worker=True, master_host="10.1.2.3", master_port=6000), None, tmp_path)
    assert worker[worker.index("--master-host") + 1] == "10.1.2.3" and "--worker" in worker
    assert "--host" not in worker and "-u" not in worker  # the master sends the run's settings
