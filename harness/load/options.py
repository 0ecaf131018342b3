"""The options a scenario reads: Locust custom arguments, so `locust -f scenarios/chat.py --model X`
works as well as `servecheck load`, and Locust sends them from the master to every worker.

The token is never an option: the user reads it from the variable named by --token-env.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harness.load.prompts import Distribution, parse_distribution
from harness.load.shapes import SHAPES
from harness.runs.verdict import DEFAULT_MAX_ERROR_RATE
from harness.targets import MOCK_MODELS, TOKEN_ENV

DEFAULT_INPUT_TOKENS = "normal:256,64"
DEFAULT_OUTPUT_TOKENS = "normal:128,32"
ARRIVALS = ("poisson", "constant")
DEFAULT_MAX_REQUESTS = 1_000_000  # a count bound on every run, on top of the time bound


def add_arguments(parser: Any) -> None:
    """Register our options on Locust's parser (the init_command_line_parser event)."""
    parser.add_argument(
        "--api",
        choices=sorted(TOKEN_ENV),
        default="openai",
        help="openai: --host is the base URL (.../v1); databricks: the workspace host",
    )
    parser.add_argument(
        "--model",
        default=MOCK_MODELS["chat"],
        help="chat/completions model (Databricks: serving endpoint name)",
    )
    parser.add_argument(
        "--embedding-model", default=MOCK_MODELS["embedding"], help="embeddings model or endpoint"
    )
    parser.add_argument(
        "--token-env",
        default="",
        include_in_web_ui=False,
        help="variable holding the Bearer token (default OPENAI_API_KEY / DATABRICKS_TOKEN)",
    )
    parser.add_argument(
        "--input-tokens",
        default=DEFAULT_INPUT_TOKENS,
        help="prompt length in tokens: N, uniform:LO,HI, normal:MEAN,SD or lognormal:MEDIAN,SIGMA",
    )
    parser.add_argument(
        "--output-tokens",
        default=DEFAULT_OUTPUT_TOKENS,
        help="max_tokens of each request, drawn from the same kinds of distribution",
    )
    parser.add_argument(
        "--prompts", default="", help="JSONL file of request bodies to send instead of synthetic ones"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="inputs per embeddings request")
    parser.add_argument(
        "--arrival-rate",
        type=float,
        default=0.0,
        help="open loop: arrivals per second per user (0: closed loop)",
    )
    parser.add_argument(
        "--arrivals", choices=ARRIVALS, default="poisson", help="open-loop inter-arrival times"
    )
    parser.add_argument(
        "--shape",
        choices=SHAPES,
        default="fixed",
        help="load shape (with -f ...,harness/load/locust_shape.py)",
    )
    parser.add_argument(
        "--validate-sample",
        type=float,
        default=0.0,
        help="fraction of responses validated against the schemas (seeded)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of prompts, arrivals and validation sampling"
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds one request (whole stream) may take"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=DEFAULT_MAX_REQUESTS,
        help="stop sending after this many requests in all",
    )
    parser.add_argument(
        "--max-error-rate",
        type=float,
        default=DEFAULT_MAX_ERROR_RATE,
        help="error budget: a run whose share of failed requests is above it fails (0.05 = 5%%)",
    )
    parser.add_argument("--slo", default="", help='objectives judged in load.json, e.g. "p95_ttft_ms<=500"')
    parser.add_argument(
        "--servecheck-out",
        default="",
        include_in_web_ui=False,
        help="folder for load.json and live.jsonl (written by the master)",
    )


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
    validate_sample: float
    seed: int
    timeout: float
    max_requests: int
    max_error_rate: float

    @property
    def open_loop(self) -> bool:
        return self.arrival_rate > 0


def settings_from(options: Any) -> Settings:
    """Settings from Locust's parsed options; raises ValueError with a one-line reason."""
    if options.arrivals not in ARRIVALS:
        raise ValueError(f"--arrivals must be poisson or constant, not {options.arrivals!r}")
    if options.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    if not (0.0 <= options.validate_sample <= 1.0):
        raise ValueError("--validate-sample must be between 0 and 1")
    if options.arrival_rate < 0 or not math.isfinite(options.arrival_rate):
        raise ValueError("--arrival-rate must be a finite number >= 0")
    if not (0 < options.timeout < math.inf):
        raise ValueError("--timeout must be a positive number of seconds")
    if options.max_requests < 1:
        raise ValueError("--max-requests must be at least 1")
    if not 0 <= options.max_error_rate <= 1:
        raise ValueError("--max-error-rate must be between 0 and 1 (or 0% and 100%)")
    return Settings(
        api=options.api,
        model=options.model,
        embedding_model=options.embedding_model,
        token_env=options.token_env or TOKEN_ENV[options.api],
        input_tokens=parse_distribution(options.input_tokens, "--input-tokens"),
        output_tokens=parse_distribution(options.output_tokens, "--output-tokens"),
        prompts=options.prompts,
        batch_size=options.batch_size,
        arrival_rate=float(options.arrival_rate),
        arrivals=options.arrivals,
        validate_sample=float(options.validate_sample),
        seed=options.seed,
        timeout=float(options.timeout),
        max_requests=options.max_requests,
        max_error_rate=float(options.max_error_rate),
    )
