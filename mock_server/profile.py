"""A mock profile: which models it serves, how slow and how faulty it is, read from YAML.

Every key is optional; a missing key takes the "fast" default (profiles/fast.yaml lists them all).
A bad file raises ProfileError with one line saying where and what, never a traceback.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from harness.families.features import FEATURES
from mock_server.defects import DEFECTS
from mock_server.textgen import MAX_OUTPUT_TOKENS

PROFILES_DIR = Path(__file__).parent / "profiles"


class ProfileError(Exception):
    """A profile that cannot be used; the message is one line, fit for the terminal."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Literal["chat", "embedding"] = "chat"
    reasoning: bool = False  # answers with Databricks reasoning blocks
    dimensions: int = 1536  # embedding models: the longest vector (and the default)
    owned_by: str = "servecheck"
    context_tokens: int = 131_072  # prompt plus completion; more is refused with 400, as servers do
    max_output_tokens: int = MAX_OUTPUT_TOKENS  # the largest max_tokens accepted

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name: must not be empty")
        if not 1 <= self.max_output_tokens <= MAX_OUTPUT_TOKENS:
            raise ValueError(f"max_output_tokens: must be between 1 and {MAX_OUTPUT_TOKENS}")
        if self.context_tokens < self.max_output_tokens:
            raise ValueError("context_tokens: must be at least max_output_tokens")
        if self.dimensions < 1:
            raise ValueError("dimensions: must be at least 1")


@dataclass(frozen=True)
class Delay:
    """A random delay. lognormal: `sigma` is the spread of log(delay) and the mean stays `mean_ms`;
    normal: `sigma` is the standard deviation in ms (draws below 0 count as 0)."""

    dist: Literal["constant", "normal", "lognormal"] = "constant"
    mean_ms: float = 0.0
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.mean_ms < 0 or self.sigma < 0:
            raise ValueError("mean_ms and sigma must be >= 0")


@dataclass(frozen=True)
class Latency:
    ttft: Delay = field(default_factory=Delay)  # before the first token
    itl_ms: float = 0.0  # between tokens
    itl_jitter_ms: float = 0.0  # each gap is itl_ms plus a uniform draw in [-jitter, +jitter]

    def __post_init__(self) -> None:
        if self.itl_ms < 0 or self.itl_jitter_ms < 0:
            raise ValueError("itl_ms and itl_jitter_ms must be >= 0")


@dataclass(frozen=True)
class SlowResponses:
    rate: float = 0.0  # share of requests held back an extra `delay_ms`
    delay_ms: float = 0.0

    def __post_init__(self) -> None:
        _check_rate("rate", self.rate)
        if self.delay_ms < 0:
            raise ValueError("delay_ms: must be >= 0")


@dataclass(frozen=True)
class Faults:
    errors: dict[int, float] = field(default_factory=dict)  # HTTP status -> share of requests
    dropped_streams: float = 0.0  # share of streams cut off half-way (no finish, no [DONE])
    slow_responses: SlowResponses = field(default_factory=SlowResponses)

    def __post_init__(self) -> None:
        for status, rate in self.errors.items():
            if not 400 <= status <= 599:
                raise ValueError(f"errors: {status} is not an HTTP error status (400-599)")
            _check_rate(f"errors.{status}", rate)
        if sum(self.errors.values()) > 1:
            raise ValueError("errors: the rates add up to more than 1")
        _check_rate("dropped_streams", self.dropped_streams)


@dataclass(frozen=True)
class OutputTokens:
    """How long an answer is when max_tokens does not cut it (drawn per choice from the request hash)."""

    min: int = 16
    max: int = 64

    def __post_init__(self) -> None:
        if self.min < 1:
            raise ValueError("min: must be at least 1")
        if not self.min <= self.max <= MAX_OUTPUT_TOKENS:
            raise ValueError(f"max: must be between min ({self.min}) and {MAX_OUTPUT_TOKENS}")


DEFAULT_MODELS = (
    ModelSpec("mock-chat"),
    ModelSpec("mock-reasoning", reasoning=True),
    ModelSpec("mock-embed", kind="embedding"),
)


@dataclass(frozen=True)
class Profile:
    name: str = "fast"
    seed: int = 0  # with the request number, seeds every random draw: a run reproduces
    models: tuple[ModelSpec, ...] = DEFAULT_MODELS
    latency: Latency = field(default_factory=Latency)
    faults: Faults = field(default_factory=Faults)
    rate_limit: float | None = None  # requests per second over the whole server; None: no limit
    # Answers generated at once (a server's batch slots); more wait their turn before their first token,
    # so past it TTFT grows with the queue, as a saturated server's does. None: no limit.
    max_concurrency: int | None = None
    max_body_bytes: int = 4 * 1024 * 1024
    output_tokens: OutputTokens = field(default_factory=OutputTokens)
    defects: tuple[str, ...] = ()
    declines: tuple[str, ...] = ()  # features refused with a clean 400 (families/features.py)

    def __post_init__(self) -> None:
        names = [m.name for m in self.models]
        if not names:
            raise ValueError("models: at least one model is needed")
        if len(set(names)) != len(names):
            raise ValueError("models: names must be unique")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit: must be > 0 (leave it out for no limit)")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError("max_concurrency: must be at least 1 (leave it out for no limit)")
        if self.max_body_bytes < 1024:
            raise ValueError("max_body_bytes: must be at least 1024")
        unknown = [d for d in self.defects if d not in DEFECTS]
        if unknown:
            raise ValueError(f"defects: unknown {', '.join(unknown)} (see `servecheck mock --help`)")
        unknown = [d for d in self.declines if d not in FEATURES]
        if unknown:
            raise ValueError(f"declines: unknown feature {', '.join(unknown)}; known: {', '.join(FEATURES)}")


def load_profile(path_or_name: str | Path | None = None) -> Profile:
    """Load a built-in profile by name ("fast", "realistic") or a YAML file by path."""
    if path_or_name is None:
        path_or_name = "fast"
    path = Path(path_or_name)
    builtin = PROFILES_DIR / f"{path_or_name}.yaml"
    if isinstance(path_or_name, str) and "/" not in path_or_name and builtin.is_file():
        path = builtin
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise ProfileError(f"profile {str(path_or_name)!r}: no such file (built-in profiles: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"profile {path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ProfileError(f"profile {path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    data = {} if data is None else data
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
    try:
        return _build(Profile, data, "")
    except ValueError as exc:
        raise ProfileError(f"profile {path}: {exc}") from None


def _check_rate(name: str, rate: float) -> None:
    if not 0 <= rate <= 1:
        raise ValueError(f"{name}: must be between 0 and 1")


def _build(cls: type, data: Any, where: str) -> Any:
    """A `cls` dataclass from a YAML mapping, checking keys and types against its annotations."""
    if not isinstance(data, dict):
        raise ValueError(f"{where or 'top level'}: expected a mapping, got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        raise ValueError(
            f"{where or 'top level'}: unknown key {unknown[0]!r} (known: {', '.join(sorted(fields))})"
        )
    values = {name: _convert(hints[name], value, f"{where}{name}") for name, value in data.items()}
    try:
        return cls(**values)
    except TypeError as exc:  # a required field left out
        raise ValueError(f"{where or 'top level'}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{where}{exc}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where + ".")
    if origin is types.UnionType:  # X | None
        if value is None:
            return None
        return _convert(next(a for a in args if a is not type(None)), value, where)
    if origin is Literal:
        if value not in args:
            raise ValueError(f"{where}: must be one of {', '.join(map(str, args))}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list, got {_kind(value)}")
        return tuple(_convert(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected a mapping, got {_kind(value)}")
        return {
            _convert(args[0], k, f"{where} key"): _convert(args[1], v, f"{where}.{k}")
            for k, v in value.items()
        }
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ValueError(f"{where}: expected {hint.__name__}, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing"}.get(type(value), f"{value!r}")
