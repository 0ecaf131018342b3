"""The servecheck Locust plugin: our options, our metrics on Locust's event bus, and load.json at the end.

Importing this module (every scenario does, through harness.load.user) registers listeners on Locust's
events. Each process gets one LoadSession:
- every process records the RequestRecord riding on each request event into its LoadMetrics;
- a worker sends what it measured since its last report with every report to the master
  (report_to_master), and the master merges it (worker_report): histograms merge exactly;
- every process that sends requests appends a line per request to its samples file
  (harness/load/samples.py), flushed once a second (a worker: with each report);
- the master (or the single local process) watches the run once a second: it appends a progress line
  to live.jsonl (flushed, so it survives even a SIGKILL) and stops a run whose target stopped
  answering (or, single process, whose --max-requests are all answered);
- when a test stops, each worker sends what it measured last (FINAL_MESSAGE) before it tells the
  master it stopped, so the master writes load.json with every request in it (it waits for a final
  report from every worker that sent load, at most FINAL_WAIT_S; a quit writes what arrived).
Started from Locust's web UI (no --headless, no --autostart: `servecheck load --serve`, or plain
`locust -f`), a process runs any number of tests: each is a run folder of its own, RUN_DIR/tests/NNN,
named by the master and sent to the workers with its options, so their reports and samples go with it.
The session writes nothing itself: it emits events (harness/load/events.py), and the run folder's
files are their handler (harness/load/files.py), as the contract engine's outputs are its handlers.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import random
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gevent
import locust
from locust import argument_parser
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner
from locust.util.timespan import parse_timespan

from harness.load.events import (
    LoadEvent,
    LoadFinished,
    LoadHandler,
    LoadStarted,
    MeasurementsSent,
    OptionsRefused,
    RequestMeasured,
    SecondPassed,
    ServerScraped,
)
from harness.load.files import LoadFiles
from harness.load.generator import run_probe
from harness.load.metrics import RECORD_KEY, LoadMetrics
from harness.load.options import MAX_DURATION_S, Settings, add_arguments, settings_from
from harness.load.prompts import load_requests, preload
from harness.load.results import build_results, live_line
from harness.load.saturation import (
    OVER_SATURATED,
    Level,
    levels_for,
    over_saturated,
    probe_throughput,
    rate_at,
)
from harness.load.server_metrics import Scraper, metrics_url, same_origin
from harness.load.shapes import PHASED_SHAPES, RATE_SWEEP, Plan, plan_from_options, steady_seconds
from harness.load.slo import parse_slos
from harness.load.tables import Table, live_tables
from harness.load.webui import attach as attach_web_ui
from harness.load.window import Warmup, Window, is_good
from harness.load.workload import is_sharegpt, load_sharegpt
from harness.runs import layout
from harness.runs.files import read_json
from harness.runs.verdict import REQUESTS_UNFINISHED
from harness.targets import ConfigError
from harness.wire.redact import check_token, keep_token_variables, redact_process_output

log = logging.getLogger("servecheck.load")
# Seconds of nothing but connection errors after which the target counts as gone. A master hears
# from its workers every 3 s, so it waits longer.
UNREACHABLE_AFTER = {"local": 3, "master": 8}
REPORTED_AFTER_S = 4  # a master's seconds are whole once every worker has reported them (every 3 s)
SWEEP_MESSAGE = "servecheck_sweep_levels"
FINAL_MESSAGE = "servecheck_final"  # a worker's last measurements of a test, sent as it stops
# How long a master waits for its workers' final reports once a test stopped. A stop from the master
# (web UI, run time, our watch) has them in already: each precedes the worker's "stopped".
FINAL_WAIT_S = 5.0
STOPPED_FROM_UI = "stopped_from_web_ui"  # a test stopped (from the web UI) before its run time
LOCUST_OWN_FIELDS = {"spawn_rate", "host", "user_classes", "profile", "shape_class"}  # Locust judges them
_COMPLETE_SLACK_S = 1.5  # a run that stops this close to its --run-time has completed


class LoadSession:
    """One Locust process's servecheck state."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment
        self.settings: Settings | None = None
        self.metrics = LoadMetrics(time.perf_counter())
        self.started: float | None = None  # perf_counter at test start
        self.started_wall = 0.0
        self.stopped: float | None = None
        self.stop_reason: str | None = None  # set when the plugin itself ends the run
        self.test = ""  # the test's folder under RUN_DIR/tests/ (web UI tests), else ""
        self._tests = 0  # web UI tests started (master or local)
        self._written = True  # load.json of the last test is written (or there was no test)
        self._finisher: gevent.Greenlet | None = None
        self._reporters: set[str] = set()  # workers whose reports came during this test
        self._finals: set[str] = set()  # workers whose final report of this test came
        self.users_by_second: dict[int, int] = {}
        # --shape rate-sweep: the levels (total rates) the master set, what its probe measured, and the
        # over-saturation that ended it; user_levels: each user's share, on every sending process
        self.sweep_levels: list[Level] = []
        self.sweep_probe_rps: float | None = None
        self.over_saturated: dict[str, Any] | None = None
        self.user_levels: list[Level] = []
        self._budget = 0
        self._window = Window(Warmup(), 0, 0, 0)  # what this process's figures leave out (window.py)
        self._sampler = random.Random(0)
        self._seeds = random.Random(0)
        self._watch: gevent.Greenlet | None = None
        self._probe: gevent.Greenlet | None = None
        self._scrape: gevent.Greenlet | None = None
        self.scraper: Scraper | None = None  # the target's Prometheus metrics (master or local)
        self.handlers: list[LoadHandler] = []  # who hears this session's events (_listen)
        # A worker's own --servecheck-out, read before the master's options replace it at test start: a
        # worker on another host keeps its samples where it was told, not at the master's path.
        self.own_out = ""

    @property
    def role(self) -> str:
        runner = self.environment.runner
        if isinstance(runner, WorkerRunner):
            return "worker"
        return "master" if isinstance(runner, MasterRunner) else "local"

    @property
    def interactive(self) -> bool:
        """Tests are started from the web UI (master or local process), any number of them."""
        options = self.environment.parsed_options
        return (
            self.role != "worker"
            and self.environment.web_ui is not None
            and not (options.headless or options.autostart)
        )

    @property
    def base_dir(self) -> Path | None:
        """--servecheck-out: the run folder, or the folder of the web UI's tests."""
        out = self.own_out or getattr(self.environment.parsed_options, "servecheck_out", "")
        return Path(out) if out else None

    @property
    def out_dir(self) -> Path | None:
        """Where this test's files go."""
        base = self.base_dir
        return base / layout.TESTS / self.test if base and self.test else base

    def _listen(self) -> None:
        """The run folder's files hear the events, when there is a run folder. Decided when the options
        are known (at init; on a worker, at test start), not on every request."""
        out = self.out_dir
        self.handlers = [LoadFiles(out)] if out else []

    def _emit(self, event: LoadEvent) -> None:
        for handler in self.handlers:
            handler.handle(event)

    # --- what users ask -------------------------------------------------------------------------

    def take_request(self) -> bool:
        """Take one request from this process's budget (--max-requests, split between workers)."""
        if self._budget <= 0:
            return False
        self._budget -= 1
        return True

    def requests_left(self) -> int:
        return self._budget

    def swept_rate(self) -> float | None:
        """A rate sweep's arrivals per second for one user now; None: closed loop (its probe, or no sweep)."""
        if not self.user_levels or self.started is None:
            return None
        return rate_at(self.user_levels, time.perf_counter() - self.started)

    def on_sweep_levels(self, environment: Any, msg: Any, **_: Any) -> None:
        self.user_levels = [Level(**level) for level in msg.data]

    def live_tables(self) -> list[Table]:
        """Our metrics so far as the web UI's tables."""
        elapsed = time.perf_counter() - self.started if self.started is not None else 0.0
        return live_tables(self.metrics, elapsed, bool(self.settings and self.settings.goodput))

    def sample_for_validation(self) -> bool:
        fraction = self.settings.validate_sample if self.settings else 0.0
        return fraction > 0 and self._sampler.random() < fraction

    def next_user_seed(self) -> int:
        return self._seeds.getrandbits(64)

    # --- Locust events --------------------------------------------------------------------------

    def check_options(self) -> None:
        """Judge the options before anything runs (master or local process): a bad one ends the
        process with exit code 2 and its reason in config_error.txt."""
        options = self.environment.parsed_options
        refused = self._refusal(options)
        if refused:
            log.error("servecheck: %s", refused)
            self._listen()
            self._emit(OptionsRefused(refused))
            raise SystemExit(2)
        options.servecheck_run_time = settings_from(options).run_time_s  # the workers' --cooldown reads it

    def judge_form(self, form: Mapping[str, str]) -> str | None:
        """Why the web UI's start form (/swarm) would make bad options, before Locust applies it (None:
        they are good): each field read as Locust reads it, onto a copy of the options."""
        options = argparse.Namespace(**vars(self.environment.parsed_options))
        current = vars(options)
        for key, value in form.items():
            try:
                if key == "user_count":
                    options.num_users = int(value)
                elif key == "run_time":
                    options.run_time = parse_timespan(value) if value else options.run_time
                elif key in LOCUST_OWN_FIELDS or key not in current:
                    continue
                elif isinstance(current[key], bool):
                    current[key] = value == "true"
                elif current[key] is not None and not isinstance(current[key], list):
                    current[key] = type(current[key])(value)
                else:
                    current[key] = value
            except ValueError:
                return f"{key}: {value!r} is not a valid value"
        return self._refusal(options)

    def _refusal(self, options: Any) -> str | None:
        """Why `options` cannot run (one line), or None."""
        try:
            settings = settings_from(options)
            _check_workload(settings, self.environment.user_classes)
            if self.environment.shape_class:
                plan_from_options(options)
            parse_slos(options.slo)
            check_token(os.environ.get(settings.token_env), settings.token_env)
        except (ValueError, ConfigError) as exc:
            return str(exc)
        return None

    def _next_test(self) -> None:
        """A master or local process at test start: name the test's folder (web UI tests) for this
        process and, with the options, for the workers."""
        options = self.environment.parsed_options
        if self._finisher is not None:  # the previous test's workers' final reports are still due
            self._finisher.kill(block=False)
        self._finish()
        self.test = ""
        base = self.base_dir
        if self.interactive:
            # after the tests already there: a restarted master (same volume) overwrites none
            done = (
                [int(p.name) for p in (base / layout.TESTS).glob("*") if layout.is_test_folder(p.name)]
                if base
                else []
            )
            self._tests = max([self._tests, *done]) + 1
            self.test = layout.test_folder(self._tests)
            options.servecheck_run_time = int(options.run_time or 0)  # the form's
            if self.role == "master":  # the workers there are now: they split --requests by it
                options.expect_workers = self.environment.runner.worker_count
        options.servecheck_test = self.test

    def on_test_start(self, environment: Any, **_: Any) -> None:
        options = environment.parsed_options  # on a worker: with the master's options merged in
        if self.role == "worker":
            self.test = _test_from_master(options)
        else:
            self._next_test()
        self.settings = settings_from(options)
        preload(self.settings.tokenizer)  # before the first arrival is due (o200k_base is loaded already)
        worker = environment.runner.worker_index if self.role == "worker" else 0
        workers = max(1, options.expect_workers or 1) if self.role == "worker" else 1
        self._budget = math.ceil(self.settings.budget / workers)
        settings = self.settings
        share = math.ceil(settings.warmup.requests / workers)
        self._window = Window(settings.warmup, settings.cooldown_s, settings.run_time_s, share)
        self._sampler = random.Random(f"{self.settings.seed}:validate:{worker}")
        self._seeds = random.Random(f"{self.settings.seed}:users:{worker}")
        self.started = time.perf_counter()
        self.started_wall = time.time()
        self.stopped, self.stop_reason, self.users_by_second = None, None, {}
        self._written, self._reporters, self._finals = self.role == "worker", set(), set()
        self.metrics = LoadMetrics(self.started, phased=options.shape in PHASED_SHAPES)
        self.sweep_levels, self.user_levels, self.sweep_probe_rps, self.over_saturated = [], [], None, None
        self._listen()
        self._emit(LoadStarted(self.role, worker if self.role == "worker" else None, self.started))
        self._stop_probe()
        if self.role != "master":  # a process that sends requests watches its loop and CPU
            limit = (options.run_time or self.settings.run_time_s or MAX_DURATION_S) + 60
            self._probe = gevent.spawn(run_probe, self.metrics, environment.runner, limit)
        if self.role != "worker":
            self._stop_watch()
            self._watch = gevent.spawn(self._watch_run)
            self._start_scraping(environment)

    def on_request(self, context: dict[str, Any] | None = None, **_: Any) -> None:
        rec = context.get(RECORD_KEY) if context else None
        if rec is not None and self.settings is not None and self.started is not None:
            rec.excluded = self._window.outside(rec.sent - self.started)
            rec.good = (
                not rec.excluded and is_good(rec, self.settings.goodput) if self.settings.goodput else False
            )
            self.metrics.record(rec)
            self._emit(RequestMeasured(rec))

    def on_report_to_master(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        data["servecheck"] = self.metrics.drain()
        data["servecheck_test"] = self.test
        self._emit(MeasurementsSent())

    def on_reset_stats(self, **_: Any) -> None:
        """The web UI's Reset Stats: our figures start again with Locust's (workers send what they
        measure since their last report, so the master's reset is the run's; samples.jsonl keeps
        every request)."""
        self.metrics.reset()

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        if "servecheck" in data:
            self._merge(client_id, data["servecheck"], data.get("servecheck_test", ""))

    def on_final_report(self, environment: Any, msg: Any, **_: Any) -> None:
        self._merge(msg.node_id, msg.data["servecheck"], msg.data["test"])
        self._finals.add(msg.node_id)

    def _merge(self, client_id: str, measured: dict[str, Any], test: str) -> None:
        """A worker's measurements into this test's, if they are of this test and it is not written yet."""
        metrics = LoadMetrics.from_dict(measured)
        if test == self.test and not self._written:
            self.metrics.merge(metrics)
            self._reporters.add(client_id)
        elif metrics.total().requests or metrics.errors:
            log.warning(
                "servecheck: worker %s reported for a test already written (%s): left out", client_id, test
            )

    def on_test_stopping(self, **_: Any) -> None:
        """The test ends now (a master's test_stop comes once its workers stopped, a second or more on)."""
        if self.stopped is None and self.started is not None:
            self.stopped = time.perf_counter()

    def on_test_stop(self, environment: Any, **_: Any) -> None:
        self.on_test_stopping()
        self._stop_watch()
        self._stop_probe()
        if self.role == "worker":
            # Before Locust's "stopped" goes out: the master has every request of the test when it
            # hears that, not up to a report interval later.
            try:
                environment.runner.send_message(
                    FINAL_MESSAGE, {"test": self.test, "servecheck": self.metrics.drain()}
                )
            except Exception as exc:  # the master is gone: nobody to tell
                log.warning("servecheck: the final report did not go to the master: %s", exc)
        elif not self._written:
            self._finisher = gevent.spawn(self._finish_when_reported)

    def _stop_probe(self) -> None:
        for greenlet in (self._probe, self._scrape):
            if greenlet is not None:
                greenlet.kill(block=False)
        self._probe = self._scrape = None

    def _start_scraping(self, environment: Any) -> None:
        """Scrape the target's metrics once a second (server_metrics.py); the token only to its origin."""
        settings = self.settings
        assert settings is not None and self.started is not None
        host = environment.host or ""
        url = metrics_url(settings.server_metrics, host, settings.api, settings.model)
        self.scraper = None
        if url is None:
            return
        token = os.environ.get(settings.token_env)
        headers = {"Authorization": f"Bearer {token}"} if token and same_origin(url, host) else {}
        self.scraper = scraper = Scraper(url, headers)
        started, limit = self.started, (settings.run_time_s or MAX_DURATION_S) + 60

        def scrape() -> None:
            for _ in range(int(limit)):
                row = scraper.scrape(time.perf_counter() - started)
                if scraper.available is False:
                    log.info("servecheck: no server metrics: %s", scraper.reason)
                    return
                if row is not None:
                    self._emit(ServerScraped(row))
                gevent.sleep(1.0)

        self._scrape = gevent.spawn(scrape)

    def on_quit(self, exit_code: int, **_: Any) -> None:
        self._stop_watch()
        if self.role == "worker" or self.out_dir is None or self.started is None:
            self._emit(LoadFinished(None, ()))  # what a worker measured is in its samples file
            return
        if self._finisher is not None:
            self._finisher.kill(block=False)  # a quit: what the workers reported until now is all there is
        self._finish()

    def _unreported_workers(self) -> set[str]:
        """The workers that sent load in this test and whose final report has not come."""
        runner = self.environment.runner
        if not isinstance(runner, MasterRunner):
            return set()
        sending = {c.id for c in runner.clients.values() if c.state in (STATE_RUNNING, STATE_SPAWNING)}
        return (sending | self._reporters) - self._finals

    def _finish_when_reported(self) -> None:
        """Once a test stopped: wait for the final report of every worker that sent load, then write."""
        deadline = time.monotonic() + FINAL_WAIT_S
        while self._unreported_workers() and time.monotonic() < deadline:
            gevent.sleep(0.05)
        self._finish()

    def _finish(self) -> None:
        """Write the test's load.json (once): what it measured, and why it stopped."""
        out = self.out_dir
        if self._written or out is None or self.started is None or self.settings is None:
            return
        self._written = True
        unreported = len(self._unreported_workers())
        if unreported:
            log.warning(
                "servecheck: no final report from %d worker(s): their last seconds are missing", unreported
            )
        elapsed = (self.stopped or time.perf_counter()) - self.started
        run_time = self.environment.parsed_options.run_time
        reason = self.stop_reason
        if reason is None:
            early = run_time and elapsed < run_time - _COMPLETE_SLACK_S
            reason = (STOPPED_FROM_UI if self.interactive else "interrupted") if early else "completed"
            if reason == "completed" and self.metrics.total().requests < self.settings.requests:
                reason = REQUESTS_UNFINISHED  # --duration ended a --requests run first
        options = self.environment.parsed_options
        # `servecheck load` stopped us: why
        told = read_json((self.base_dir or out) / layout.STOP, strict=False) or {}
        reason = str(told.get("reason") or reason)
        if (
            reason == "target_unreachable"
            and options.servecheck_mock_pid
            and not _alive(options.servecheck_mock_pid)
        ):
            reason = "embedded mock died"
        profile = options.servecheck_mock_profile
        results = build_results(
            self.environment,
            self.settings,
            self.metrics,
            self.users_by_second,
            started_wall=self.started_wall,
            elapsed_s=elapsed,
            stop_reason=reason,
            signal=str(told.get("signal") or ""),
            server=self.scraper.summary() if self.scraper else None,
            unreported=unreported,
            target={"embedded_mock": bool(profile), "mock_profile": profile or None},
            sweep={
                "probe_rps": self.sweep_probe_rps,
                "levels": [asdict(level) for level in self.sweep_levels],
                "over_saturated": self.over_saturated,
            },
        )
        self._emit(LoadFinished(results, (os.environ.get(self.settings.token_env, ""),), self.metrics))

    # --- the master's watch -----------------------------------------------------------------------

    def _stop_watch(self) -> None:
        if self._watch is not None and self._watch is not gevent.getcurrent():
            self._watch.kill(block=False)

    def _watch_run(self) -> None:
        """Once a second: a live progress line, and a stop when the target no longer answers."""
        assert self.started is not None and self.settings is not None
        options = self.environment.parsed_options
        runner = self.environment.runner
        window = UNREACHABLE_AFTER[self.role]
        history: deque[tuple[int, int]] = deque(maxlen=window + 1)
        plan = plan_from_options(options) if options.shape == RATE_SWEEP else None
        if self.settings.open_loop:  # a fixed open loop is one level: over-saturation ends it too
            rate = self.settings.arrival_rate * (options.num_users or 1)
            self.sweep_levels = [Level(0.0, math.inf, rate)]
        ticks = int(options.run_time or 24 * 3600) + 3600  # bounded, though the quit kills it first
        # A web UI test ends at the run time on its form (Locust's own timer); a form without one kept
        # the last given (--duration's at first): this stops the test there if Locust did not.
        bound = min(options.run_time or MAX_DURATION_S, MAX_DURATION_S) + _COMPLETE_SLACK_S
        for tick in range(ticks):
            gevent.sleep(1.0 if tick else 0.5)  # look mid-second: shapes change users on whole seconds
            elapsed = time.perf_counter() - self.started
            self.users_by_second[int(elapsed)] = runner.user_count
            total = self.metrics.total()
            if self.handlers:
                self._emit(SecondPassed(live_line(self.metrics, total, elapsed, runner.user_count)))
                self._emit(MeasurementsSent())
            if plan is not None or self.sweep_levels:
                self._watch_saturation(plan, elapsed)
            history.append((total.requests, self.metrics.errors.get("connection", 0)))
            if _target_gone(history, window):
                self.stop_reason = "target_unreachable"
                log.error("servecheck: every connection was refused for %d s; stopping the run", window)
            elif total.requests + sum(self.metrics.excluded.values()) >= self.settings.budget:
                # every request of the budget has its answer (a master: as its workers reported)
                self.stop_reason = "completed" if self.settings.requests else "max_requests"
            if self.interactive and elapsed > bound:
                self.stop_reason = "completed"
            if self.stop_reason:
                runner.stop() if self.interactive else runner.quit()
                return

    def _watch_saturation(self, plan: Plan | None, elapsed: float) -> None:
        """An open loop, once a second: a rate sweep's `plan` after its probe sets the levels' rates (and
        sends each user's share to every process); then the run stops at the first level (a fixed open
        loop: its one level) that over-saturates the target."""
        reported = int(elapsed) - (REPORTED_AFTER_S if self.role == "master" else 1)  # complete seconds
        if plan is not None and not self.sweep_levels:
            if reported < max(steady_seconds(plan.phases[0])):  # the probe is not measured whole yet
                return
            self.sweep_probe_rps = probe_throughput(plan, self.metrics.series)
            if not self.sweep_probe_rps:
                self.stop_reason = "sweep_probe_failed"
                log.error(
                    "servecheck: the rate sweep's probe level had no successful request: nothing to sweep"
                )
                return
            self.sweep_levels = levels_for(plan, self.sweep_probe_rps)
            per_user = [{**asdict(level), "rate": level.rate / plan.users} for level in self.sweep_levels]
            self.environment.runner.send_message(SWEEP_MESSAGE, per_user)
            return
        self.over_saturated = over_saturated(self.sweep_levels, self.metrics.series, reported)
        if self.over_saturated:
            self.stop_reason = OVER_SATURATED
            log.warning(
                "servecheck: over-saturated at %.2f req/s offered: the run stops",
                self.over_saturated["offered_rps"],
            )


def _test_from_master(options: Any) -> str:
    """The folder of the test a worker's master started ("": not a web UI test)."""
    name = str(getattr(options, "servecheck_test", "") or "")
    if name and not layout.is_test_folder(name):
        log.warning("servecheck: the master named its test %r: not a test folder; samples go to --out", name)
        return ""
    return name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _target_gone(history: deque[tuple[int, int]], window: int) -> bool:
    """Every request of the last `window` seconds failed to connect (and there were some)."""
    if len(history) <= window:
        return False
    (req0, conn0), (req1, conn1) = history[0], history[-1]
    return req1 > req0 and conn1 - conn0 == req1 - req0


def _check_workload(settings: Settings, user_classes: list[type]) -> None:
    """The --prompts file reads, and holds requests for every family the users send; conversations
    (ShareGPT, --turns, --shared-prefix) only go to users that hold them (chat, chat-stream)."""
    path = settings.prompts
    if settings.converses:
        if path and is_sharegpt(path):
            load_sharegpt(path)
        plain = sorted(cls.scenario for cls in user_classes if not getattr(cls, "converses", False))
        if plain:
            raise ValueError(
                "ShareGPT files, --turns and --shared-prefix make chat conversations: the chat and "
                f"chat-stream scenarios hold them, not {', '.join(plain)}"
            )
        return
    if not path:
        return
    found = load_requests(path)
    needed = {cls.family for cls in user_classes if hasattr(cls, "family")}
    missing = sorted(needed - set(found))
    if missing:
        have = ", ".join(sorted(found))
        raise ValueError(f"--prompts {path}: no requests for {', '.join(missing)} (it has {have})")


_SESSIONS: weakref.WeakKeyDictionary[Any, LoadSession] = weakref.WeakKeyDictionary()


def session_of(environment: Any) -> LoadSession:
    """The LoadSession of a Locust environment (made at its init event)."""
    return _SESSIONS[environment]


def _on_init(environment: Any, **_: Any) -> None:
    # gevent's loop clock is cached since the hub was made (at import time); Locust's --run-time timer
    # is armed next, and against a stale clock it fires early by the whole start-up time.
    gevent.get_hub().loop.update_now()
    keep_token_variables()  # Locust's console, log and files mask the tokens (the user adds its own)
    redact_process_output()
    session = LoadSession(environment)
    _SESSIONS[environment] = session
    events = environment.events
    events.test_start.add_listener(session.on_test_start)
    events.request.add_listener(session.on_request)
    events.report_to_master.add_listener(session.on_report_to_master)
    events.worker_report.add_listener(session.on_worker_report)
    events.reset_stats.add_listener(session.on_reset_stats)
    events.test_stopping.add_listener(session.on_test_stopping)
    events.test_stop.add_listener(session.on_test_stop)
    events.quit.add_listener(session.on_quit)
    if session.role != "master":  # a rate sweep's levels, as the master (or this process) sets them
        environment.runner.register_message(SWEEP_MESSAGE, session.on_sweep_levels)
    if session.role == "master":
        environment.runner.register_message(FINAL_MESSAGE, session.on_final_report)
    if session.role == "worker":  # it gets the master's (already judged) options at test start
        session.own_out = getattr(environment.parsed_options, "servecheck_out", "")
    else:
        session.check_options()
    if environment.web_ui is not None:
        attach_web_ui(environment.web_ui, session.live_tables, session.judge_form)


def _parse_locust_defaults_once() -> None:
    """Locust's worker, on each spawn message, builds and parses its whole argument parser again for
    every option the master sent (`argument_parser.default_args_dict()` inside a comprehension: 88
    times with ours, 0.16 s on a quiet machine) while no other greenlet runs. On a loaded machine
    that held both workers of a `--processes 2` run for over 3 s: they missed their heartbeats, the
    master dropped them ("failed to send heartbeat") and the test ended without a request. Locust's
    own defaults do not change within a process: parsed once, each caller gets a copy."""
    if getattr(argument_parser.default_args_dict, "parsed_once", False):
        return
    parse = functools.cache(argument_parser.default_args_dict)

    def defaults() -> dict:
        return dict(parse())

    defaults.parsed_once = True  # type: ignore[attr-defined]
    argument_parser.default_args_dict = defaults


_parse_locust_defaults_once()
locust.events.init_command_line_parser.add_listener(add_arguments)
locust.events.init.add_listener(_on_init)
# The tokenizer and the prompt corpus (a second or more) load as the locustfile is imported: before any
# arrival is due, and before --processes forks its workers, which inherit them.
preload()
