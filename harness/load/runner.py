"""Drive one load run: pick the target, run Locust in a subprocess, follow it, collect load.json.

Locust runs in its own process (gevent and our threads do not mix) and its own session, so a Ctrl-C
reaches only us; we pass it (or a SIGTERM we get) on as SIGINT, Locust shuts down in order and the
plugin writes the partial load.json, which says which signal stopped the run. live.jsonl (a line a
second) and samples.jsonl (a line a request) are written as the run goes and stay: a run killed
outright still leaves them. The embedded mock runs in a third process, so load generator
and server do not share a GIL. Every run is bounded: Locust's --run-time and our shape end it at
--duration, and we terminate Locust ourselves if it overstays by STARTUP_GRACE_S.

With --serve the web UI starts the tests instead (serve_load): Locust stays up until a signal, and
each test it ran is a run folder of its own (RUN_DIR/tests/NNN), handed to the caller as it appears.

Target: an explicit --base-url wins, then $OPENAI_BASE_URL / $DATABRICKS_HOST (by --api), else the
embedded mock (profile "realistic", a random token).
"""

from __future__ import annotations

import math
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from harness.families import PAYLOADS
from harness.interrupt import child_command, signal_name, sigterm_as_interrupt
from harness.load.options import MAX_DURATION_S, SCENARIOS, LoadConfig
from harness.paths import SCENARIOS_DIR
from harness.runs import layout
from harness.runs.files import read_json, write_json
from harness.targets import MOCK_MODELS, ConfigError
from harness.wire.client import TargetClient
from harness.wire.preflight import Preflight, preflight
from mock_server.server import is_loopback

SHAPE_LOCUSTFILE = Path(__file__).with_name("locust_shape.py")
STARTUP_GRACE_S = 60  # Locust start-up, workers connecting and final reports, beyond --duration
WORKERS_WAIT_S = 120  # --master: how long Locust waits for --expect-workers before it gives up
WEB_HOST = "127.0.0.1"  # --web: the UI can start and stop runs and has no login, so loopback only
STOP_WAIT_S = 30  # how long Locust gets to write its results once told to stop
MOCK_PROFILE = "realistic"
MOCK_START_S = 20
LOOPBACK_ONLY_ENV = "SERVECHECK_LOAD_LOOPBACK_ONLY"  # set (to 1) by the tests: refuse any other target


@dataclass
class Target:
    base_url: str  # what Locust gets as --host
    embedded: bool
    env: dict[str, str] = field(default_factory=dict)  # extra environment for Locust (the mock's token)
    mock: subprocess.Popen[bytes] | None = None


class LoadFailed(Exception):
    """The run produced no results (Locust or the embedded mock failed); one line for the terminal."""


def check_loopback(url: str) -> None:
    """With $SERVECHECK_LOAD_LOOPBACK_ONLY set, refuse any target that is not on this machine."""
    if os.environ.get(LOOPBACK_ONLY_ENV) and not is_loopback(urlsplit(url).hostname or ""):
        raise ConfigError(f"{LOOPBACK_ONLY_ENV} is set: refusing to load {urlsplit(url).hostname}")


@contextmanager
def open_target(config: LoadConfig, workdir: Path) -> Iterator[Target]:
    """The live target, or a fresh embedded mock that is stopped on exit."""
    live = config.live_base_url()
    if live:
        check_loopback(live)
        yield Target(live, embedded=False)
        return
    token = secrets.token_urlsafe(24)
    log = (workdir / layout.MOCK_LOG).open("wb")
    command = [
        *child_command(signal.SIGTERM, "from harness.cli import app; app()"),
        "mock",
        "--port",
        "0",
        "--profile",
        MOCK_PROFILE,
        "--url-file",
        str(workdir / layout.MOCK_URL),
    ]
    (workdir / layout.MOCK_URL).unlink(missing_ok=True)
    mock = subprocess.Popen(
        command,
        stdout=log,
        stderr=log,
        env={**os.environ, "SERVECHECK_MOCK_TOKEN": token},
        start_new_session=True,
    )
    try:
        root = _mock_url(mock, workdir / layout.MOCK_URL)
        base = root + "/v1" if config.api == "openai" else root
        yield Target(base, embedded=True, env={config.token_var: token}, mock=mock)
    finally:
        _stop(mock, 5)
        log.close()


def _mock_url(mock: subprocess.Popen[bytes], url_file: Path) -> str:
    """The root URL the mock writes to `url_file` once it listens (`servecheck mock --url-file`)."""
    deadline = time.monotonic() + MOCK_START_S
    while time.monotonic() < deadline and mock.poll() is None:
        if url_file.is_file():
            return url_file.read_text().strip()
        time.sleep(0.05)
    raise LoadFailed("the embedded mock did not start (see mock.log in the run folder)")


def locust_command(config: LoadConfig, target: Target | None, out: Path) -> list[str]:
    """Locust's command line for this run; `target` is None on a worker (the master sends it)."""
    scenario = SCENARIOS_DIR / SCENARIOS[config.scenario][0]
    command = [
        # SIGINT: Locust stops in order and the plugin writes the partial load.json, even if we were
        # killed outright.
        *child_command(signal.SIGINT, "from locust.main import main; main()"),
        "-f",
        f"{scenario},{SHAPE_LOCUSTFILE}",
        "--servecheck-out",
        str(out),
    ]
    if target is None:
        return [
            *command,
            "--worker",
            "--master-host",
            config.master_host,
            "--master-port",
            str(config.master_port),
        ]
    command += [
        "--only-summary",
        "--host",
        target.base_url,
        "-u",
        str(config.users),
        "-r",
        f"{config.effective_spawn_rate:g}",
        "-t",
        f"{config.duration_s}s",
        "--csv",
        str(out / layout.LOCUST_CSV_PREFIX),
        "--exit-code-on-error",
        "0",
    ]
    if config.shows_web:
        command += ["--web-host", WEB_HOST, "--web-port", str(config.web_port)]
        if not config.serve:  # the run starts at once as headless would, and Locust quits when it ends
            command += ["--autostart", "--autoquit", "0"]
    else:
        command.append("--headless")
    if target.mock is not None:
        command += ["--servecheck-mock-profile", MOCK_PROFILE, "--servecheck-mock-pid", str(target.mock.pid)]
    if config.processes > 1:
        command += ["--processes", str(config.processes)]
    if config.master:
        command += [
            "--master",
            "--expect-workers",
            str(config.expect_workers),
            "--expect-workers-max-wait",
            str(WORKERS_WAIT_S),
            "--master-bind-host",
            config.master_bind_host,
            "--master-bind-port",
            str(config.master_port),
        ]
    for name, value in config.plugin_options().items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return command


def _preflight(config: LoadConfig, target: Target) -> Preflight:
    """The target answers as an endpoint that can be loaded, and the models the scenario needs; raises
    TargetUnreachable or ConfigError before Locust starts (so a dead target is never hammered)."""
    token = target.env.get(config.token_var) or os.environ.get(config.token_var) or None
    wanted = {}
    given = {"chat": config.model, "embedding": config.embedding_model}
    for kind in SCENARIOS[config.scenario][1]:
        role = PAYLOADS[kind].model
        wanted[kind] = given[role] or (MOCK_MODELS[role] if target.embedded else None)
    with TargetClient(
        target.base_url, token, config.token_var, api=config.api, timeout=config.timeout
    ) as client:
        return preflight(client, config.api, wanted)


def run_load(
    config: LoadConfig,
    out: Path,
    on_progress: Callable[[dict[str, Any]], None],
    on_preflight: Callable[[Preflight], None] | None = None,
) -> dict[str, Any]:
    """Run the load test; returns load.json's content (also written to `out`). Raises ConfigError,
    TargetUnreachable or LoadFailed. `on_progress` gets each live line (about one a second),
    `on_preflight` what the pre-flight found (the models discovered)."""
    out = _run_folder(out)
    deadline = config.duration_s + STARTUP_GRACE_S + (WORKERS_WAIT_S if config.master else 0)
    _run_locust(config, out, deadline, _LiveTail(out / layout.LIVE, on_progress), on_preflight)
    return _results(out)


def serve_load(
    config: LoadConfig,
    out: Path,
    on_test: Callable[[Path], None],
    on_preflight: Callable[[Preflight], None] | None = None,
) -> str:
    """--serve: Locust's web UI starts the tests until a signal stops us; `on_test` gets each test's
    run folder once it holds load.json. Returns the signal's name ("SIGINT", "SIGTERM"); raises as
    run_load when Locust cannot start."""
    out = _run_folder(out)
    _run_locust(config, out, None, _NewTests(out / layout.TESTS, on_test), on_preflight)
    told = read_json(out / layout.STOP, strict=False) or {}
    if told.get("signal"):
        return str(told["signal"])
    _raise_refused(out)
    raise LoadFailed(f"Locust ended: {_last_line(out / layout.LOCUST_LOG)}")


def _run_folder(out: Path) -> Path:
    out = out.resolve()  # Locust runs in `out`: a relative path would land in a copy of itself
    out.mkdir(parents=True, exist_ok=True)
    for stale in (layout.STOP, layout.CONFIG_ERROR, layout.LOAD):  # a reused folder: what its last run said
        (out / stale).unlink(missing_ok=True)
    return out


def _run_locust(
    config: LoadConfig,
    out: Path,
    deadline_s: float | None,
    watch: Callable[[], None],
    on_preflight: Callable[[Preflight], None] | None,
) -> None:
    """The target up (the embedded mock started), checked, and Locust run against it to its end."""
    with sigterm_as_interrupt(), open_target(config, out) as target:
        found = _preflight(config, target)
        if on_preflight:
            on_preflight(found)
        config = replace(
            config,
            model=found.models.get("chat") or found.models.get("completions") or config.model,
            embedding_model=found.models.get("embeddings") or config.embedding_model,
        )
        command = locust_command(config, target, out)
        _follow_locust(command, {**os.environ, **target.env}, out, deadline_s, watch)


def _raise_refused(out: Path) -> None:
    """ConfigError when Locust refused the options at start-up (config_error.txt says why)."""
    error_file = out / layout.CONFIG_ERROR
    if error_file.is_file():
        raise ConfigError(error_file.read_text().strip())


def _results(out: Path) -> dict[str, Any]:
    """load.json of a finished run; ConfigError (Locust refused the options) or LoadFailed without it."""
    _raise_refused(out)
    results_file = out / layout.LOAD
    if not results_file.is_file():
        raise LoadFailed(f"Locust ended without results: {_last_line(out / layout.LOCUST_LOG)}")
    return read_json(results_file) or {}


def run_worker(config: LoadConfig, out: Path) -> int:
    """Be a worker of a `servecheck load --master` run until the master ends it (Locust's own bounds: it
    gives up on a master it cannot reach within five minutes, or that goes silent for a minute; ours:
    the longest run there is, none with --serve: every test is bounded by the master). Returns Locust's
    exit code; its samples land in `out`."""
    out = _run_folder(out)
    with sigterm_as_interrupt():
        command = locust_command(config, None, out)
        deadline = None if config.serve else MAX_DURATION_S + 2 * STARTUP_GRACE_S
        return _follow_locust(command, dict(os.environ), out, deadline, lambda: None)


def _follow_locust(
    command: list[str],
    env: dict[str, str],
    out: Path,
    deadline_s: float | None,
    watch: Callable[[], None],
) -> int:
    """Run Locust to its end (at most `deadline_s`; None: until a signal or its own end), calling
    `watch` four times a second and once after; returns its exit code. When we stop it early,
    stop.json tells its plugin why (and which signal made us: "SIGINT", "SIGTERM"), so the load.json it
    writes says so."""
    with (out / layout.LOCUST_LOG).open("wb") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=out, start_new_session=True
        )
        reason, stop_signal = None, ""
        deadline = time.monotonic() + deadline_s if deadline_s is not None else math.inf
        try:
            while proc.poll() is None:
                watch()
                if time.monotonic() > deadline:
                    reason = "overran its duration"
                    break
                time.sleep(0.25)
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (sigterm_as_interrupt)
            reason, stop_signal = "interrupted", signal_name(stop)
        if reason:
            write_json(out / layout.STOP, {"reason": reason, "signal": stop_signal})
        # SIGINT, as a Ctrl-C: while a shape runs, headless Locust has no SIGTERM handler yet.
        _stop(proc, STOP_WAIT_S, signal.SIGINT)
        watch()
    return proc.returncode


class _LiveTail:
    """Each new complete line of live.jsonl (a master or local run writes one a second) to `on_line`."""

    def __init__(self, path: Path, on_line: Callable[[dict[str, Any]], None]) -> None:
        self.path, self.on_line, self.offset = path, on_line, 0

    def __call__(self) -> None:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            self.on_line(orjson.loads(line))
        self.offset += end


class _NewTests:
    """Each web UI test's folder (under `tests`) to `on_test`, once, when its load.json is there
    (written whole, at once)."""

    def __init__(self, tests: Path, on_test: Callable[[Path], None]) -> None:
        self.tests, self.on_test, self.seen = tests, on_test, set[str]()

    def __call__(self) -> None:
        if not self.tests.is_dir():
            return
        for folder in sorted(self.tests.iterdir()):
            if folder.name not in self.seen and (folder / layout.LOAD).is_file():
                self.seen.add(folder.name)
                self.on_test(folder)


def _stop(proc: subprocess.Popen[bytes], wait_s: float, sig: int = signal.SIGTERM) -> None:
    """`sig` (an orderly shutdown), then SIGKILL if it does not end within `wait_s`."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except BaseException:  # a second Ctrl-C: stop waiting, leave nothing running
            proc.kill()
            proc.wait()
            raise


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except FileNotFoundError:
        return "no log"
    return lines[-1][:300] if lines else "no output"
