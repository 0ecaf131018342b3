"""What every route of one mock app shares: the profile, defects, token, validators and counters."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jsonschema_rs
import orjson

from harness.families import PAYLOADS
from harness.families.features import FEATURES, used_features
from harness.schemas.registry import registry
from mock_server.defects import check_defects
from mock_server.errors import ApiError, invalid, schema_error
from mock_server.flavours import EXTENSION_SCHEMAS, Flavour, split_extensions
from mock_server.latency import NO_DICE, Dice, RateLimiter, is_quiet
from mock_server.limits import EXPLAIN_LIMIT_BYTES
from mock_server.metrics import ServerMetrics
from mock_server.profile import ModelSpec, Profile

# Stored Responses API conversations (previous_response_id): at most this many, holding at most this
# many bytes of JSON in all; the oldest go first.
CONVERSATIONS_KEPT = 1000
CONVERSATION_BYTES = 64 * 1024 * 1024
MEMO_SIZE = 512  # answers kept at most ...
MEMO_TOKENS = 2_000_000  # ... and their tokens in all (each held as an int in a list and as text: ~80 MB)
T = TypeVar("T")
REQUEST_SCHEMAS = (*(f.request_schema for f in PAYLOADS.values()), "invocations_request")


def json_int(value: Any) -> int | None:
    """An integer field of a request. JSON Schema counts 5.0 as an integer, and orjson reads it
    (and any integer beyond 64 bits) as a float."""
    return None if value is None else int(value)


def inputs(value: str | list[Any] | None) -> list[str | list[int]]:
    """The prompts of a completions request or the inputs of an embeddings request: a string,
    strings, token ids or lists of token ids, as a list of strings and token-id lists."""
    if value is None or isinstance(value, str):
        return [value or ""]
    if not isinstance(value[0], str | list):
        return [[int(token) for token in value]]
    return [item if isinstance(item, str) else [int(token) for token in item] for item in value]


@dataclass
class JsonReply:
    """A 200 JSON answer. A model's answer waits, under a latency profile, TTFT + `tokens` x ITL;
    `tokens` None (the models list) does not wait."""

    body: Any
    tokens: int | None = None


@dataclass
class Call:
    """One request being served: its number in this run, the profile's draws for it, and the
    flavour of the route it came in on."""

    number: int
    dice: Dice
    flavour: Flavour
    headers: dict[str, str] = field(default_factory=dict)  # set by the handler, sent with the answer


class MockState:
    def __init__(self, profile: Profile, token: str | None, defects: Iterable[str]) -> None:
        self.profile = profile
        self.defects = frozenset(profile.defects) | frozenset(defects)
        check_defects(sorted(self.defects))
        self.token = token.encode() if token else None
        self.models = {m.name: m for m in profile.models}
        self.validators: dict[str, jsonschema_rs.Validator] = {
            name: registry().validator(name) for name in (*REQUEST_SCHEMAS, *EXTENSION_SCHEMAS)
        }
        self.rate_limiter = RateLimiter(profile.rate_limit) if profile.rate_limit else None
        self.server_metrics = ServerMetrics(profile.max_concurrency)  # its batch slots and /metrics
        self.quiet = is_quiet(profile)
        self._numbers = itertools.count(1)
        self._memo: dict[bytes, Any] = {}
        self._memo_lock = threading.Lock()
        self._memo_tokens = 0
        self._conversations: dict[str, tuple[list[dict[str, Any]], int]] = {}
        self._conversation_bytes = 0

    def has(self, defect: str) -> bool:
        return defect in self.defects

    def new_call(self, flavour: Flavour) -> Call:
        number = next(self._numbers)
        return Call(number, NO_DICE if self.quiet else Dice(self.profile, number), flavour)

    def remembered(self, key: bytes, make: Callable[[], T], weight: Callable[[T], int]) -> T:
        """`make()`, computed once per distinct `key`: answers follow from the request alone, and
        load tests send the same requests over and over. The oldest entry goes when full. Keys are
        kept as digests: a key holds a whole request body, up to the profile's body limit. `weight`
        says how many tokens a value holds: the memo holds at most MEMO_TOKENS."""
        key = hashlib.blake2b(key, digest_size=16).digest()
        with self._memo_lock:  # schema-heavy requests are answered on worker threads (app.py)
            if key in self._memo:
                return self._memo[key][0]
        value = make()
        size = weight(value) + 1
        with self._memo_lock:
            if key not in self._memo and size <= MEMO_TOKENS:
                self._memo[key] = (value, size)
                self._memo_tokens += size
            while len(self._memo) > MEMO_SIZE or self._memo_tokens > MEMO_TOKENS:
                self._memo_tokens -= self._memo.pop(next(iter(self._memo)))[1]
        return value

    def keep_conversation(self, response_id: str, messages: list[dict[str, Any]]) -> None:
        """Store a response's whole conversation, for a later previous_response_id."""
        size = len(orjson.dumps(messages))
        with self._memo_lock:
            if size <= CONVERSATION_BYTES and response_id not in self._conversations:
                self._conversations[response_id] = (messages, size)
                self._conversation_bytes += size
            while (
                len(self._conversations) > CONVERSATIONS_KEPT or self._conversation_bytes > CONVERSATION_BYTES
            ):
                self._conversation_bytes -= self._conversations.pop(next(iter(self._conversations)))[1]

    def conversation(self, response_id: str) -> list[dict[str, Any]] | None:
        with self._memo_lock:
            found = self._conversations.get(response_id)
        return None if found is None else list(found[0])

    def validated(
        self, schema: str, body: Any, stand_in: Callable[[], dict[str, Any]], flavour: Flavour
    ) -> dict[str, Any]:
        """`body` if it is valid against `schema` (the fields the flavour takes beyond OpenAI's
        against their own schema); else a 400 naming the field, or `stand_in()` (a valid generic
        request) under the accept_invalid defect, which also passes None here."""
        checks = [(schema, body)]
        if flavour.extensions:
            core, extra = split_extensions(body, registry().raw(flavour.extensions))
            checks = [(schema, core), (flavour.extensions, extra)]
        for name, part in checks:
            validator = self.validators[name]
            if part is not None and validator.is_valid(part):
                continue
            if self.has("accept_invalid"):
                return stand_in()
            if len(orjson.dumps(part)) > EXPLAIN_LIMIT_BYTES:
                raise invalid(f"Invalid request: the body does not match the {name} schema.")
            raise schema_error(validator.iter_errors(part))
        self._decline(body)
        return body

    def _decline(self, body: dict[str, Any]) -> None:
        """A clean 400 naming the parameter of a feature the profile declines, as real servers do."""
        for feature in used_features(body):
            if feature in self.profile.declines:
                param = FEATURES[feature].params[0]
                message = f"The parameter '{param}' is not supported by this server."
                raise ApiError(400, message, param, "unsupported_parameter")

    def model(self, name: str, kind: str | None = None, param: str | None = "model") -> ModelSpec:
        """The served model called `name`: 404 when unknown, 400 when it does not do `kind`.
        `param` None: the name came from the URL (a Databricks serving endpoint)."""
        spec = self.models.get(name)
        if spec is None:
            what = "model" if param else "serving endpoint"
            status = 400 if self.has("unknown_model_400") else 404
            raise ApiError(status, f"The {what} {name!r} does not exist.", param, "model_not_found")
        if kind is not None and spec.kind != kind:
            raise invalid(f"{name!r} is a {spec.kind} model; it cannot serve this request.", param)
        return spec

    def first_model(self, kind: str) -> str:
        """The first served model of `kind` ("" if none): the model of generic stand-in requests."""
        return next((m.name for m in self.profile.models if m.kind == kind), "")
