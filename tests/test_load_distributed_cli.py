"""`servecheck load --master` and two `servecheck load --worker` processes over TCP on 127.0.0.1, as on
three hosts. Nothing here is timed, so it runs beside other tests (tests/test_load_distributed.py, which
compares timings, runs alone); the merge is checked as there (assert_merged)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_load_distributed import PROFILE, assert_merged, free_port
from test_load_run import CLI, load_env

pytestmark = pytest.mark.timeout(90)


def test_servecheck_load_master_and_two_workers_on_loopback(mock_proc, tmp_path: Path) -> None:
    """`servecheck load --master` and two `servecheck load --worker` processes over TCP on 127.0.0.1, as
    on three hosts: the master writes load.json, each worker its samples in its own --out."""
    mock_url = mock_proc(PROFILE) + "/v1"
    port = str(free_port())
    out = tmp_path / "master"
    command = [
        *CLI, "load", "--master", "--expect-workers", "2", "--master-bind-host", "127.0.0.1",
        "--master-port", port, "--base-url", mock_url, "--model", "mock-chat", "--users", "8",
        "--duration", "4s", "--out", str(out), "--input-tokens", "32", "--output-tokens", "16",
    ]  # fmt: skip
    master = subprocess.Popen(
        command,
        env=load_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker_dirs = [tmp_path / f"worker{i}" for i in range(2)]
    workers = [
        subprocess.Popen(
            [*CLI, "load", "--worker", "--master-host", "127.0.0.1", "--master-port", port, "--out", str(d)],
            env=load_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for d in worker_dirs
    ]
    try:
        printed, _ = master.communicate(timeout=50)
    finally:
        said = [proc.communicate(timeout=15)[0] for proc in workers]
    assert master.returncode == 0, printed
    assert "waiting for 2 worker(s)" in printed
    for proc, text in zip(workers, said, strict=True):
        assert proc.returncode == 0 and "worker done" in text, text
    run = json.loads((out / "load.json").read_text())
    assert run["config"]["workers"] == 2 and not run["partial"] and run["errors"] == 0
    assert not list(out.glob("samples*.jsonl"))  # the master sent nothing
    assert_merged(run, out, *worker_dirs)
