"""What load requests say: prompts of controlled token length, or request bodies read from a JSONL file.

Synthetic prompts are real tokens of the run's tokenizer (o200k_base unless --tokenizer) from the
mock's text corpus (mock_server/textgen.py): `prompt_text(rng, n)` is exactly n o200k_base tokens (no
tokenizer call per prompt: the corpus is re-tokenized once per tokenizer), n of another tokenizer's
give or take the one a cut word can add, and every request gets a different stretch of the corpus so
a server's prefix cache does not flatter it. Lengths are drawn from a distribution, not a constant:
"256", "uniform:64,512", "normal:256,64" or "lognormal:200,0.6" (median, sigma), each draw rounded and
kept at least 1.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from harness.tokens import Tokenizer, decode, load_tokenizer
from harness.wire.limits import MAX_DEPTH, MAX_LINE_BYTES, depth_over, mib
from mock_server.textgen import MAX_OUTPUT_TOKENS, text_ids

MAX_PROMPT_TOKENS = 30_000  # the re-tokenized corpus is a little shorter than the mock's 32768 ids
_KINDS = ("uniform", "normal", "lognormal")
# Which field marks a request body's family.
_FAMILY_FIELD = {"messages": "chat", "prompt": "completions", "input": "embeddings"}


@dataclass(frozen=True)
class Distribution:
    kind: str  # "constant", "uniform", "normal" or "lognormal"
    a: float  # constant value, low bound, mean or median
    b: float = 0.0  # high bound, standard deviation or sigma

    def sample(self, rng: random.Random) -> int:
        if self.kind == "constant":
            value = self.a
        elif self.kind == "uniform":
            value = rng.uniform(self.a, self.b)
        elif self.kind == "normal":
            value = rng.gauss(self.a, self.b)
        else:
            value = rng.lognormvariate(math.log(self.a), self.b)
        return min(MAX_PROMPT_TOKENS, max(1, round(value)))

    def __str__(self) -> str:
        return f"{self.a:g}" if self.kind == "constant" else f"{self.kind}:{self.a:g},{self.b:g}"


def parse_distribution(text: str, flag: str) -> Distribution:
    """Parse "N" or "KIND:A,B"; raises ValueError naming `flag` on bad input."""
    kind, _, args = text.strip().partition(":")
    try:
        if not args:
            dist = Distribution("constant", float(kind))
        else:
            a, b = (float(x) for x in args.split(","))
            if kind not in _KINDS:
                raise ValueError
            dist = Distribution(kind, a, b)
    except ValueError:
        raise ValueError(
            f"{flag} {text!r}: expected N, uniform:LO,HI, normal:MEAN,SD or lognormal:MEDIAN,SIGMA"
        ) from None
    if not all(math.isfinite(x) for x in (dist.a, dist.b)):
        raise ValueError(f"{flag} {text!r}: numbers must be finite")
    if dist.a < 1 or dist.a > MAX_PROMPT_TOKENS or dist.b < 0 or (dist.kind == "uniform" and dist.b < dist.a):
        raise ValueError(f"{flag} {text!r}: token counts must lie in 1..{MAX_PROMPT_TOKENS}, spreads >= 0")
    return dist


@cache
def _corpus(tokenizer: Tokenizer) -> list[int]:
    """The mock's text corpus (o200k_base ids), re-tokenized once: its ids decode to text that encodes
    back to the same ids (decoded corpus ids can re-tokenize shorter: ",." is one token). Every
    o200k_base token is a whole word or punctuation run, so any slice of it is exactly its length as
    text too."""
    return tokenizer.encode(decode(text_ids(0, MAX_OUTPUT_TOKENS)))


def preload(tokenizer: str = "") -> None:
    """Load the tokenizer and the corpus now (about 0.2 s), before the first arrival is due rather than
    inside it: the open loop's first sends would otherwise leave that late."""
    _corpus(load_tokenizer(tokenizer))


def prompt_text(rng: random.Random, tokens: int, tokenizer: Tokenizer | None = None) -> str:
    """`tokens` tokens of sentence-shaped text, from a random place in the corpus."""
    tokenizer = tokenizer or load_tokenizer()
    corpus = _corpus(tokenizer)
    start = rng.randrange(max(1, len(corpus) - tokens))
    return tokenizer.decode(corpus[start : start + tokens])


def family_of(body: dict[str, Any]) -> str | None:
    for field, family in _FAMILY_FIELD.items():
        if field in body:
            return family
    return None


def _lines(path: str) -> Iterator[bytes]:
    """The file's lines, each read at most one byte past MAX_LINE_BYTES (a longer one is refused, never
    held whole)."""
    try:
        with Path(path).open("rb") as file:
            while line := file.readline(MAX_LINE_BYTES + 1):
                yield line
    except OSError as exc:
        raise ValueError(f"--prompts {path}: cannot read: {exc.strerror}") from None


@cache
def load_requests(path: str) -> dict[str, list[dict[str, Any]]]:
    """The request bodies of a JSONL file, by family ("chat", "completions", "embeddings").

    Read once per process; raises ValueError naming the file and line of the first bad one.
    """
    by_family: dict[str, list[dict[str, Any]]] = {}
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            raise ValueError(
                f"--prompts {path}:{number}: a line over {mib(MAX_LINE_BYTES)} (no request is that big)"
            )
        try:
            body = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValueError(f"--prompts {path}:{number}: not JSON") from None
        if depth_over(body):  # it could not even be sent: the JSON encoder refuses such depth
            raise ValueError(f"--prompts {path}:{number}: nested deeper than {MAX_DEPTH} levels")
        family = family_of(body) if isinstance(body, dict) else None
        if family is None:
            raise ValueError(f"--prompts {path}:{number}: a request body needs messages, prompt or input")
        by_family.setdefault(family, []).append(body)
    if not by_family:
        raise ValueError(f"--prompts {path}: no requests in the file")
    return by_family
