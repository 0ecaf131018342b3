"""The options of a load run, declared once (LOAD_OPTIONS) for the CLI, servecheck.toml and SERVECHECK_*,
and, for those marked `locust`, as the Locust plugin's own arguments: so `locust -f scenarios/chat.py
--model X` works as well as `servecheck load`, and Locust sends them from the master to every worker.
LoadConfig validates a `servecheck load` run before Locust starts; Settings is what a Locust process
reads, validated by settings_from (also for a plain `locust` run).

The token is never an option: the user reads it from the variable named by --token-env.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from harness.load.prompts import MAX_PROMPT_TOKENS, Distribution, parse_distribution
from harness.load.server_metrics import AUTO, OFF
from harness.load.shapes import RATE_LEVELS, RATE_SWEEP, SHAPES
from harness.load.slo import parse_slos
from harness.load.slo_search import DEFAULT_STEPS
from harness.load.slo_search import KINDS as SEARCH_KINDS
from harness.load.window import Warmup, parse_goodput, parse_warmup
from harness.load.workload import is_sharegpt
from harness.options import Option, add_locust_arguments, bind
from harness.runs.verdict import DEFAULT_MAX_ERROR_RATE
from harness.targets import MOCK_MODELS, TOKEN_ENV, ConfigError, check_target, live_base_url
from harness.tokens import load_tokenizer, names_a_file
from harness.wire.redact import check_token

DEFAULT_INPUT_TOKENS = "normal:256,64"
DEFAULT_OUTPUT_TOKENS = "normal:128,32"
ARRIVALS = ("poisson", "constant")
DEFAULT_MAX_REQUESTS = 1_000_000  # a count bound on every run, on top of the time bound
MAX_TURNS = 1000


def add_arguments(parser: Any) -> None:
    """Register our options on Locust's parser (the init_command_line_parser event): the load options
    marked `locust` (LOAD_OPTIONS, below), and the two only Locust takes."""
    add_locust_arguments(parser, LOAD_OPTIONS)
    parser.add_argument(
        "--arrival-rate",
        type=float,
        default=0.0,
        help="open loop: arrivals per second per user (0: closed loop)",
    )
    parser.add_argument(  # from `servecheck load`: the embedded mock it started, so load.json says so
        "--servecheck-mock-profile", default="", include_in_web_ui=False, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--servecheck-mock-pid", type=int, default=0, include_in_web_ui=False, help=argparse.SUPPRESS
    )
    parser.add_argument(  # set by the master from Locust's --run-time: workers get only custom options
        "--servecheck-run-time", type=int, default=0, include_in_web_ui=False, help=argparse.SUPPRESS
    )
    parser.add_argument(  # set by the master at each web UI test: the test's folder (RUN_DIR/tests/NNN)
        "--servecheck-test", default="", include_in_web_ui=False, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--servecheck-out",
        default="",
        include_in_web_ui=False,
        help="folder for load.json and live.jsonl (written by the master)",
    )


def parse_rate(text: Any, flag: str) -> float:
    """A share as "5%" or "0.05" (or a number); ConfigError otherwise."""
    text = str(text)
    try:
        value = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: give a share such as 5% or 0.05") from None
    if not 0 <= value <= 1:
        raise ConfigError(f"{flag} {text!r}: must be between 0% and 100%")
    return value


@dataclass(frozen=True)
class Settings:
    api: str
    model: str
    embedding_model: str
    token_env: str
    input_tokens: Distribution
    output_tokens: Distribution
    prompts: str
    batch_size: int
    arrival_rate: float
    arrivals: str
    burstiness: float
    validate_sample: float
    seed: int
    timeout: float
    max_requests: int
    max_error_rate: float
    goodput: dict[str, float]  # per-request objectives, ms (harness/load/window.py)
    warmup: Warmup
    cooldown_s: int
    requests: int  # a fixed count of measured requests (0: as many as --duration allows)
    run_time_s: int  # Locust's --run-time (0: none), as the master had it
    shape: str
    server_metrics: str  # auto, off or a URL (harness/load/server_metrics.py)
    tokenizer: str  # "" (o200k_base), a bpe_openai encoding or a tokenizer.json (harness/tokens.py)
    turns: int  # chat turns per conversation (harness/load/workload.py)
    shared_prefix: int  # tokens of the system prompt conversations share (0: none)
    prefix_groups: int  # how many different shared prefixes

    @property
    def converses(self) -> bool:
        """Whether chat users hold conversations (harness/load/workload.py) rather than single prompts."""
        return self.turns > 1 or self.shared_prefix > 0 or (bool(self.prompts) and is_sharegpt(self.prompts))

    @property
    def budget(self) -> int:
        """Requests the whole run may send: --requests (and a counted warm-up), within --max-requests."""
        if not self.requests:
            return self.max_requests
        return min(self.max_requests, self.requests + self.warmup.requests)

    @property
    def open_loop(self) -> bool:
        return self.arrival_rate > 0


def settings_from(options: Any) -> Settings:
    """Settings from Locust's parsed options; raises ValueError with a one-line reason."""
    if options.shape not in SHAPES:
        raise ValueError(f"unknown shape {options.shape!r}; choose from {', '.join(SHAPES)}")
    if options.arrivals not in ARRIVALS:
        raise ValueError(f"--arrivals must be poisson or constant, not {options.arrivals!r}")
    if options.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    if not (0.0 <= options.validate_sample <= 1.0):
        raise ValueError("--validate-sample must be between 0 and 1")
    if not 0 < options.burstiness < math.inf:
        raise ValueError("--burstiness must be a positive number (1: Poisson arrivals)")
    if options.burstiness != 1 and options.arrivals != "poisson":
        raise ValueError("--burstiness shapes poisson arrivals: not with --arrivals constant")
    if options.arrival_rate < 0 or not math.isfinite(options.arrival_rate):
        raise ValueError("--arrival-rate must be a finite number >= 0")
    if not (0 < options.timeout < math.inf):
        raise ValueError("--timeout must be a positive number of seconds")
    if options.max_requests < 1:
        raise ValueError("--max-requests must be at least 1")
    if options.server_metrics not in ("", AUTO, OFF) and not str(options.server_metrics).startswith(
        ("http://", "https://")
    ):
        raise ValueError(f"--server-metrics {options.server_metrics!r}: give auto, off or an http(s) URL")
    if options.requests < 0:
        raise ValueError("--requests must be at least 1 (0: as many as --duration allows)")
    run_time = int(getattr(options, "run_time", 0) or getattr(options, "servecheck_run_time", 0) or 0)
    cooldown = parse_duration(str(options.cooldown), "--cooldown") if str(options.cooldown) != "0" else 0
    if cooldown and run_time and cooldown >= run_time:
        raise ValueError(f"--cooldown {cooldown} s leaves nothing of a {run_time} s run to measure")
    warmup = parse_warmup(options.warmup)
    if warmup.seconds and run_time and warmup.seconds + cooldown >= run_time:
        raise ValueError(f"--warmup and --cooldown leave nothing of a {run_time} s run to measure")
    if not 1 <= options.turns <= MAX_TURNS:
        raise ValueError(f"--turns must be between 1 and {MAX_TURNS}")
    if options.turns > 1 and (options.arrival_rate > 0 or options.shape == RATE_SWEEP):
        raise ValueError("--turns: a conversation waits for each answer, so it runs closed loop (no --rate)")
    if not 0 <= options.shared_prefix <= MAX_PROMPT_TOKENS:
        raise ValueError(f"--shared-prefix must be between 0 and {MAX_PROMPT_TOKENS} tokens")
    if not 1 <= options.prefix_groups <= 1000:
        raise ValueError("--prefix-groups must be between 1 and 1000")
    load_tokenizer(options.tokenizer)
    return Settings(
        api=options.api,
        model=options.model or MOCK_MODELS["chat"],  # plain `locust -f` against the mock
        embedding_model=options.embedding_model or MOCK_MODELS["embedding"],
        token_env=options.token_env or TOKEN_ENV[options.api],
        input_tokens=parse_distribution(options.input_tokens, "--input-tokens"),
        output_tokens=parse_distribution(options.output_tokens, "--output-tokens"),
        prompts=options.prompts,
        batch_size=options.batch_size,
        arrival_rate=float(options.arrival_rate),
        arrivals=options.arrivals,
        burstiness=float(options.burstiness),
        validate_sample=float(options.validate_sample),
        seed=options.seed,
        timeout=float(options.timeout),
        max_requests=options.max_requests,
        max_error_rate=parse_rate(options.max_error_rate, "--max-error-rate"),
        goodput=parse_goodput(options.goodput),
        warmup=warmup,
        cooldown_s=cooldown,
        requests=options.requests,
        run_time_s=run_time,
        shape=options.shape,
        server_metrics=options.server_metrics or AUTO,
        tokenizer=options.tokenizer,
        turns=options.turns,
        shared_prefix=options.shared_prefix,
        prefix_groups=options.prefix_groups,
    )


# Each scenario: its locustfile under scenarios/, and the payload kinds it sends (the first is probed
# before the run, harness/wire/preflight.py).
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "chat": ("chat.py", ("chat",)),
    "chat-stream": ("chat_stream.py", ("chat",)),
    "completions": ("completions.py", ("completions",)),
    "embeddings": ("embeddings.py", ("embeddings",)),
    "vision": ("vision.py", ("chat",)),
    "tools": ("tools.py", ("chat",)),
    "structured": ("structured.py", ("chat",)),
    "mix": ("mix.py", ("chat", "embeddings")),
}
MAX_DURATION_S = 24 * 3600
MIN_RATE_SWEEP_S = 2 * (RATE_LEVELS + 1)  # its probe and levels, two seconds each
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?|(\d+)")


def parse_duration(text: str, flag: str = "--duration") -> int:
    """Whole seconds from "90", "90s", "5m", "1h30m" (Locust's --run-time forms); ConfigError otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.groups()):
        raise ConfigError(f"{flag} {text!r}: use a finite time such as 30s, 5m or 1h")
    hours, minutes, seconds, bare = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds + bare


@dataclass
class LoadConfig:
    base_url: str | None = None
    api: str = "openai"
    model: str | None = None  # None: the embedded mock's, or discovered from a live target's list
    embedding_model: str | None = None
    token_env: str | None = None
    scenario: str = "chat-stream"
    users: int = 4
    spawn_rate: float | None = None  # None: all users within a second
    rate: float | None = None  # open loop: requests per second in all
    arrivals: str = "poisson"
    burstiness: float = 1.0
    duration_s: int = 60
    shape: str = "fixed"
    processes: int = 1
    web: bool = False  # Locust's web UI (our tabs too) on 127.0.0.1:--web-port while the run goes
    web_port: int = 8089
    # the web UI stays up and starts the tests: each is a run in RUN_DIR/tests/NNN; a worker stays for all
    serve: bool = False
    master: bool = False  # Locust's master for workers on other hosts (`--worker`), which send the load
    expect_workers: int = 1
    master_bind_host: str = "*"
    master_port: int = 5557  # where a master listens and its workers connect
    worker: bool = False  # a worker of a `--master` run: it takes every setting from the master
    master_host: str = "127.0.0.1"
    slo: str = ""
    validate_sample: float = 0.0
    seed: int = 0
    input_tokens: str = DEFAULT_INPUT_TOKENS
    output_tokens: str = DEFAULT_OUTPUT_TOKENS
    prompts: Path | None = None
    tokenizer: str = ""
    turns: int = 1
    shared_prefix: int = 0
    prefix_groups: int = 1
    batch_size: int = 16
    timeout: float = 60.0
    max_requests: int = DEFAULT_MAX_REQUESTS
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    goodput: str = ""
    warmup: str = "0"
    cooldown: str = "0"
    requests: int = 0
    server_metrics: str = AUTO
    slo_search: str = ""  # "rate" or "users": bisect trial runs for the highest that meets --slo
    search_steps: int = DEFAULT_STEPS
    out: Path | None = None

    @property
    def token_var(self) -> str:
        return self.token_env or TOKEN_ENV.get(self.api, "")

    def validate(self) -> None:
        """Raise ConfigError (one line) for anything Locust would otherwise fail on later."""
        check_target(self.api, self.base_url, self.token_env)
        if self.scenario not in SCENARIOS:
            raise ConfigError(f"unknown scenario {self.scenario!r}; choose from {', '.join(SCENARIOS)}")
        if self.shape not in SHAPES:
            raise ConfigError(f"unknown shape {self.shape!r}; choose from {', '.join(SHAPES)}")
        if not 1 <= self.duration_s <= MAX_DURATION_S:
            raise ConfigError(f"--duration must be between 1 s and {MAX_DURATION_S // 3600} h")
        if self.users < 1:
            raise ConfigError("--users must be at least 1")
        if self.spawn_rate is not None and not 0 < self.spawn_rate < math.inf:
            raise ConfigError("--spawn-rate must be a positive number")
        if self.rate is not None and not 0 < self.rate < math.inf:
            raise ConfigError("--rate must be a positive number of requests per second")
        if self.rate is not None and self.shape == "sweep":
            raise ConfigError("--shape sweep varies concurrency: it runs closed loop, without --rate")
        if self.rate is not None and self.shape == RATE_SWEEP:
            raise ConfigError("--shape rate-sweep sets its rates from its probe: without --rate")
        if self.shape == RATE_SWEEP and self.duration_s < MIN_RATE_SWEEP_S:
            raise ConfigError(
                f"--shape rate-sweep needs --duration {MIN_RATE_SWEEP_S}s at least (2 s a level)"
            )
        if not 1 <= self.processes <= 64:
            raise ConfigError("--processes must be between 1 and 64")
        self._validate_roles()
        self._validate_search()
        if self.prompts is not None and not self.prompts.is_file():
            raise ConfigError(f"--prompts {self.prompts}: no such file")
        if self.live_base_url():  # the embedded mock gets a token of our own
            check_token(os.environ.get(self.token_var), self.token_var)
        try:
            settings_from(SimpleNamespace(**self.plugin_options(), run_time=self.duration_s))
            parse_slos(self.slo)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def _validate_search(self) -> None:
        if not self.slo_search:
            return
        if self.slo_search not in SEARCH_KINDS:
            raise ConfigError(f"--slo-search must be {' or '.join(SEARCH_KINDS)}, not {self.slo_search!r}")
        if not self.slo:
            raise ConfigError("--slo-search looks for the highest load that meets --slo: give --slo")
        if self.rate is not None or self.shape != "fixed" or self.requests:
            raise ConfigError("--slo-search sets each trial's load: not with --rate, --shape or --requests")
        if self.master or self.worker:
            raise ConfigError("--slo-search runs its trials itself: not with --master or --worker")
        if not 2 <= self.search_steps <= 20:
            raise ConfigError("--search-steps must be between 2 and 20")

    def _validate_roles(self) -> None:
        for port, flag in ((self.web_port, "--web-port"), (self.master_port, "--master-port")):
            if not 1 <= port <= 65535:
                raise ConfigError(f"{flag} must be a TCP port (1 to 65535)")
        if self.master and self.worker:
            raise ConfigError("--master and --worker: a process is one or the other")
        if (self.master or self.worker) and self.processes > 1:
            raise ConfigError("--processes starts local workers: not with --master or --worker")
        if self.worker and self.web:
            raise ConfigError("--web: the master shows the web UI, a worker has none")
        if self.serve and self.slo_search:
            raise ConfigError("--serve: the web UI starts each test; --slo-search runs its own trials")
        if self.master and not 1 <= self.expect_workers <= 1000:
            raise ConfigError("--expect-workers must be between 1 and 1000")
        if self.master and not self.live_base_url():
            raise ConfigError("--master: workers elsewhere cannot reach the embedded mock; give --base-url")

    @property
    def shows_web(self) -> bool:
        """Locust's web UI runs (--web, or --serve on a master or local run)."""
        return self.web or (self.serve and not self.worker)

    @property
    def role(self) -> str:
        """The Locust process this command runs: "local" (and its --processes workers), "master", "worker"."""
        return "master" if self.master else "worker" if self.worker else "local"

    def live_base_url(self) -> str | None:
        """The live target (--base-url, else the api's environment variable); None: the embedded mock."""
        return live_base_url(self.base_url, self.api)

    @property
    def effective_spawn_rate(self) -> float:
        return self.spawn_rate or float(self.users)

    def plugin_options(self) -> dict[str, Any]:
        """The Locust plugin's options (harness/load/options.py) for this run, by attribute name: the
        options marked `locust`, plus the per-user arrival rate an open loop's --rate makes."""
        values = {o.name: getattr(self, o.name) for o in LOAD_OPTIONS if o.locust}
        values.update(
            model=self.model or "",  # a kind the scenario does not send needs no model
            embedding_model=self.embedding_model or "",
            token_env=self.token_var,
            prompts=str(self.prompts.resolve()) if self.prompts else "",
            # Locust runs in the run folder: a relative path would be looked for there
            tokenizer=str(Path(self.tokenizer).resolve()) if names_a_file(self.tokenizer) else self.tokenizer,
            arrival_rate=self.rate / self.users if self.rate else 0.0,
        )
        return values


def _duration(seconds: int) -> str:
    return f"{seconds}s"


def _share(value: float) -> str:
    return f"{value:.0%}"


LOAD_OPTIONS = bind(
    LoadConfig,
    [
        Option(
            "base_url",
            "Target (OpenAI: base URL .../v1; Databricks: workspace host). Default: "
            "$OPENAI_BASE_URL / $DATABRICKS_HOST, else the embedded mock (realistic profile).",
            optional=True,
        ),
        Option("api", "openai or databricks", locust=True),
        Option(
            "model",
            "Chat/completions model (Databricks: endpoint name). Default: discovered.",
            optional=True,
            locust=True,
        ),
        Option(
            "embedding_model",
            "Embeddings model or endpoint. Default: discovered.",
            optional=True,
            locust=True,
        ),
        Option(
            "token_env",
            "Variable holding the token (default OPENAI_API_KEY, DATABRICKS_TOKEN).",
            optional=True,
            locust=True,
        ),
        Option("scenario", f"One of {', '.join(SCENARIOS)}."),
        Option("users", "Concurrent users (open loop: arrival streams).", int),
        Option("spawn_rate", "Users started per second (default: all at once).", float, optional=True),
        Option("rate", "Open loop: requests per second in all.", float, optional=True),
        Option("arrivals", "Open-loop arrivals: poisson or constant.", locust=True),
        Option(
            "burstiness",
            "Open loop: gamma-shaped gaps (1: Poisson; below 1 bursts, above 1 more even).",
            float,
            locust=True,
        ),
        Option(
            "duration_s",
            "How long to run: 30s, 5m, 1h (at most 24h).",
            flag="--duration",
            parse=parse_duration,
            show=_duration,
        ),
        Option("shape", f"Load shape: {', '.join(SHAPES)}.", locust=True),
        Option("processes", "Load-generating processes (Locust master + workers).", int),
        Option("web", "Locust's web UI, with LLM tabs, on 127.0.0.1:--web-port while the run goes.", bool),
        Option("web_port", "Port of the web UI (--web).", int),
        Option(
            "serve",
            "Keep the web UI up and start tests from it, each a run in RUN_DIR/tests/NNN (bounded by"
            " --duration); a --worker stays for every test. Ends on Ctrl-C or SIGTERM.",
            bool,
        ),
        Option("master", "Be Locust's master for `--worker`s on other hosts (they send the load).", bool),
        Option("expect_workers", "--master: start once this many workers have connected.", int),
        Option("master_bind_host", "--master: the interface to listen on (* for all).", str),
        Option("master_port", "The master's port: it listens there, workers connect there.", int),
        Option("worker", "Be a worker of a `servecheck load --master` run (settings come from it).", bool),
        Option("master_host", "--worker: the master's host.", str),
        Option("slo", 'Objectives, e.g. "p95_ttft_ms<=500,error_rate<=0.01".', locust=True),
        Option("validate_sample", "Share of responses validated against the schemas.", float, locust=True),
        Option("seed", "Seed of prompts, arrivals and validation sampling.", int, locust=True),
        Option("input_tokens", "Prompt tokens: N, uniform:LO,HI, normal:M,SD, lognormal:MED,S.", locust=True),
        Option("output_tokens", "max_tokens per request, same forms.", locust=True),
        Option(
            "prompts",
            "JSONL file of request bodies, or a ShareGPT JSON file of conversations, instead of synthetic.",
            Path,
            optional=True,
            locust=True,
        ),
        Option(
            "tokenizer",
            "What counts tokens: o200k_base (default), cl100k_base, a tokenizer.json or a tiktoken file.",
            locust=True,
        ),
        Option("turns", "Chat: turns per conversation; each user carries its context.", int, locust=True),
        Option(
            "shared_prefix",
            "Chat: tokens of a system prompt conversations share (0: none).",
            int,
            locust=True,
        ),
        Option("prefix_groups", "--shared-prefix: how many different prefixes.", int, locust=True),
        Option("batch_size", "Inputs per embeddings request.", int, locust=True),
        Option("timeout", "Seconds one request (a whole stream) may take.", float, locust=True),
        Option("max_requests", "Stop sending after this many requests.", int, locust=True),
        Option(
            "max_error_rate",
            "Error budget: a run with more failed requests fails (5%, 0.05).",
            parse=lambda text: parse_rate(text, "--max-error-rate"),
            show=_share,
            locust=True,
        ),
        Option(
            "goodput",
            "Per-request objectives for goodput, e.g. ttft_ms:500,tpot_ms:50,e2e_ms:5000.",
            locust=True,
        ),
        Option("warmup", "Not counted: the first 10s of the run, or its first N requests (50).", locust=True),
        Option("cooldown", "Not counted: requests sent in the run's last 5s.", locust=True),
        Option(
            "requests",
            "A fixed number of measured requests: the run ends when all are answered.",
            int,
            locust=True,
        ),
        Option(
            "server_metrics",
            "The target's Prometheus metrics to scrape each second: auto (its /metrics), off, or a URL.",
            locust=True,
        ),
        Option(
            "slo_search",
            "rate or users: bisect trials of --duration for the highest load that meets --slo.",
        ),
        Option(
            "search_steps", "--slo-search: at most this many trials (besides a rate search's probe).", int
        ),
        Option("out", "Run folder (default servecheck-runs/<time>-load-<target>).", Path, optional=True),
    ],
)
