"""`servecheck load --serve`: Locust's web UI starts the tests, as a person (or a Kubernetes Deployment's
user) does, and each test is a run folder of its own (RUN_DIR/tests/NNN).

Real processes on 127.0.0.1: a mock, `servecheck load --serve` (alone, and as a master with two
`--worker --serve` processes over TCP), driven through the UI's own routes (/swarm with the form's
fields, /stop). What each test's load.json counts must be exactly what the load-sending processes logged
for that test (their samples files), including the requests of the seconds before a stop, which a
worker would otherwise report up to 3 s later, into the next test or nowhere.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from test_load_distributed import free_port
from test_load_run import CLI, load_env

from harness.load.options import LoadConfig
from harness.targets import ConfigError

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]
PROFILE = "latency: {ttft: {dist: constant, mean_ms: 20}, itl_ms: 2}\noutput_tokens: {min: 8, max: 8}\n"
TOKENS = ["--input-tokens", "16", "--output-tokens", "8"]


def _start(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command, env=load_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_for(predicate, what: str, procs: list[subprocess.Popen[str]], timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[3:6]} ended: {proc.communicate()[0]}"
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s")


def _ui(port: int, procs: list[subprocess.Popen[str]]) -> str:
    ui = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(ui + "/", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    _wait_for(up, "web UI", procs)
    return ui


def _page_form(ui: str) -> dict[str, str]:
    """Our options' fields as the UI's start form sends them: the page's values, as the browser writes
    them (1.0 as "1", True as "true")."""
    page = httpx.get(ui + "/", timeout=10).text
    args = json.loads(re.search(r"window\.templateArgs = (\{.*?\});?\n", page).group(1))

    def typed(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)

    return {key: typed(option["default_value"]) for key, option in args["extra_options"].items()}


def _swarm(ui: str, host: str, users: int, run_time: str, **fields: str) -> None:
    form = {**_page_form(ui), "user_count": users, "spawn_rate": users, "host": host, "run_time": run_time}
    answer = httpx.post(ui + "/swarm", data={**form, **fields}, timeout=10).json()
    assert answer["success"], answer


def _test_results(folder: Path, procs: list[subprocess.Popen[str]]) -> dict:
    load = folder / "load.json"
    _wait_for(load.is_file, str(load), procs)
    return json.loads(load.read_text())


def _samples(*folders: Path) -> int:
    return sum(len(p.read_text().splitlines()) for f in folders for p in f.glob("samples*.jsonl"))


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    proc.send_signal(sig)
    return proc.communicate(timeout=40)[0]


def test_serve_runs_each_web_ui_test_into_its_own_folder(mock_proc, tmp_path: Path) -> None:
    """A test to its run time, one stopped from the UI, forms whose options are refused (no test
    starts), and a test running when SIGTERM ends the serve (exit code 143): written with the signal."""
    host = mock_proc(PROFILE) + "/v1"
    port, out = free_port(), tmp_path / "serve"
    command = [
        *CLI, "load", "--serve", "--web-port", str(port), "--base-url", host, "--model", "mock-chat",
        "--duration", "3s", "--out", str(out), *TOKENS,
    ]  # fmt: skip
    serve = _start(command)
    try:
        ui = _ui(port, [serve])
        _swarm(ui, host, 2, "3s")
        first = _test_results(out / "tests" / "001", [serve])
        _swarm(ui, host, 3, "60s")
        _wait_for(lambda: _samples(out / "tests" / "002") >= 5, "requests of test 002", [serve])
        assert httpx.post(ui + "/stop", timeout=30).json()["success"]
        second = _test_results(out / "tests" / "002", [serve])
        start = {"user_count": 1, "spawn_rate": 1, "host": host}
        for field, value, said in (("slo", "p95_bogus_ms<=1", "p95_bogus_ms"), ("turns", "many", "'many'")):
            # our options on the form are judged before a test starts
            refused = httpx.post(ui + "/swarm", data={**start, field: value}, timeout=10).json()
            assert not refused["success"] and said in refused["message"], refused
        _swarm(ui, host, 2, "60s")  # the serve goes on, its options as they were
        _wait_for(lambda: _samples(out / "tests" / "003") >= 3, "requests of test 003", [serve])
    finally:
        printed = _stop(serve)
    assert serve.returncode == 143, printed

    assert first["stop_reason"] == "completed" and not first["partial"] and first["verdict"] == "passed"
    assert first["config"]["users"] == 2 and first["config"]["duration_s"] == 3
    assert 2.5 < first["elapsed_s"] < 5
    assert first["requests"] == _samples(out / "tests" / "001") > 0
    assert second["stop_reason"] == "stopped_from_web_ui" and second["partial"]
    assert second["config"]["users"] == 3 and second["elapsed_s"] < 30
    assert second["requests"] == _samples(out / "tests" / "002") >= 5
    last = _test_results(out / "tests" / "003", [])
    assert last["signal"] == "SIGTERM" and last["stop_reason"] == "interrupted" and last["partial"]
    assert last["requests"] == _samples(out / "tests" / "003") >= 3 and last["config"]["slo"] is None
    assert sorted(p.name for p in (out / "tests").iterdir()) == ["001", "002", "003"]
    assert "test 001: passed (completed)" in printed and "test 002: passed (stopped_from_web_ui)" in printed
    assert "test 003: passed (interrupted)" in printed
    assert not (out / "load.json").exists()  # the serve's own folder holds tests, not a result
    made = subprocess.run(
        [*CLI, "report", str(out / "tests" / "002")], capture_output=True, text=True, timeout=60
    )
    assert made.returncode == 0 and (out / "tests" / "002" / "report.html").is_file(), made.stderr


def test_serve_master_and_two_workers_count_every_request_of_each_test(mock_proc, tmp_path: Path) -> None:
    """`--master --serve` and two `--worker --serve` processes over TCP: two tests from the UI, the
    second stopped mid-run; each test's counts are its workers' samples, exactly; SIGTERM to the
    master ends the workers too (exit 0)."""
    host = mock_proc(PROFILE) + "/v1"
    web, master_port, out = free_port(), str(free_port()), tmp_path / "master"
    command = [
        *CLI, "load", "--master", "--serve", "--expect-workers", "2", "--master-bind-host", "127.0.0.1",
        "--master-port", master_port, "--web-port", str(web), "--base-url", host, "--model", "mock-chat",
        "--duration", "3s", "--out", str(out), *TOKENS,
    ]  # fmt: skip
    master = _start(command)
    worker_dirs = [tmp_path / f"worker{i}" for i in range(2)]
    worker = [*CLI, "load", "--worker", "--serve", "--master-host", "127.0.0.1", "--master-port", master_port]
    workers = [_start([*worker, "--out", str(d)]) for d in worker_dirs]
    procs = [master, *workers]
    try:
        ui = _ui(web, procs)
        _wait_for(
            lambda: httpx.get(ui + "/worker-count", timeout=5).json()["worker_count"] == 2, "workers", procs
        )
        # 5 s: a CI machine loaded to a stall once had the workers answer nothing in a 2 s test
        _swarm(ui, host, 4, "5s")
        first = _test_results(out / "tests" / "001", procs)
        _swarm(ui, host, 6, "60s")
        _wait_for(lambda: _requests_shown(ui) > 0, "requests of test 002", procs)
        time.sleep(1.0)  # between two of the workers' reports (every 3 s): some requests are unreported
        assert httpx.post(ui + "/stop", timeout=60).json()["success"]
        second = _test_results(out / "tests" / "002", procs)
    finally:
        printed = _stop(master)
        said = [proc.communicate(timeout=40)[0] for proc in workers]
    assert master.returncode == 143, printed
    for proc, text in zip(workers, said, strict=True):
        assert proc.returncode == 0 and "worker done" in text, text

    for number, run in (("001", first), ("002", second)):
        sent = _samples(*(d / "tests" / number for d in worker_dirs))
        assert run["requests"] == sent > 0, (number, run["requests"], sent, printed[-3000:], said)
        assert run["config"]["workers"] == 2 and run["errors"] == 0
    assert first["stop_reason"] == "completed" and first["config"]["users"] == 4
    assert second["stop_reason"] == "stopped_from_web_ui" and second["config"]["users"] == 6
    assert second["elapsed_s"] < 30  # timed to the stop, not to when the workers had all stopped
    assert all(len(list(d.glob("tests/00[12]/samples.worker*.jsonl"))) == 2 for d in worker_dirs)


def _requests_shown(ui: str) -> int:
    """Requests of the running test, as the UI shows them (the workers' reports so far)."""
    stats = httpx.get(ui + "/stats/requests", timeout=5).json()
    return next((row["num_requests"] for row in stats["stats"] if row["name"] == "Aggregated"), 0)


def test_serve_options() -> None:
    """--serve shows the web UI on a master or local run, keeps a worker for every test, and is not an
    SLO search (which runs its own trials)."""
    assert LoadConfig(serve=True).shows_web and not LoadConfig(serve=True, worker=True).shows_web
    LoadConfig(serve=True, worker=True).validate()
    with pytest.raises(ConfigError, match="--serve"):
        LoadConfig(serve=True, slo="p95_ttft_ms<=500", slo_search="rate").validate()
