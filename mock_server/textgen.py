"""Deterministic "model output": token ids drawn from a fixed corpus of real o200k_base tokens.

Output is built from token ids, not text, so `completion_tokens` is exact: every corpus token is a
whole common word (" river", "The", ".", ","), and the corpus re-tokenizes to exactly the same ids.
The corpus is made once from a fixed seed; a request picks a sentence start in it by hashing its
content, so the same request always gets the same text and a max_tokens cut is a prefix of it.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import cache, lru_cache

from harness.tokens import decode, encode, encoding

MAX_OUTPUT_TOKENS = 1 << 15  # longest text one choice can produce
_CORPUS_TOKENS = 2 * MAX_OUTPUT_TOKENS
_MASK64 = (1 << 64) - 1

# Common words, each a single token after a space (checked when the corpus is built).
_WORDS = """
time year people way day thing life world school state family group country problem hand part place
case week company system program question work number night point home water room area money story
fact month lot right study book eye job word business issue side kind head house service friend power
hour game line end member law car city community name team minute idea body information back face
level office door health person art history result change morning reason research moment air force
education good new first last long great little own other old big high different small large next
early young important few public same able model server token stream request response signal network
cloud engine data value pattern river mountain garden window light music simple quiet bright careful
rapid steady gentle clear open and the of to in for on with at by from about into over after under
between through during without within along across behind beyond is was are were be has had have will
would can could should may might must do does did make made take took see saw know knew think thought
come came give gave find found tell told ask asked feel felt leave left call called keep kept begin
began show showed hear heard play played run ran move moved live lived believe bring brought happen
write wrote provide sit stand pay meet include continue set learn lead understand watch follow create
speak read allow add spend grow walk win offer remember consider appear wait serve send expect build
stay reach remain
"""
_STARTERS = ["The", "A", "This", "It", "We", "They", "Every", "Some", "Our", "Each", "Most", "Many"]


def _single(text: str) -> int:
    ids = encode(text)
    if len(ids) != 1:  # a wrong word list would silently break exact token counts
        raise AssertionError(f"{text!r} is {len(ids)} tokens, expected 1")
    return ids[0]


@dataclass(frozen=True)
class _Corpus:
    ids: list[int]
    starts: list[int]  # sentence starts that leave room for MAX_OUTPUT_TOKENS after them
    bare: dict[int, int]  # " The" -> "The": the form a text opens with
    pieces: dict[int, str]  # every corpus token's text


@cache
def _corpus() -> _Corpus:
    words = [_single(" " + w) for w in _WORDS.split()]
    spaced = {_single(" " + s): _single(s) for s in _STARTERS}
    period, comma = _single("."), _single(",")
    rng = random.Random(0)
    ids: list[int] = []
    starts: list[int] = []
    while len(ids) < _CORPUS_TOKENS:
        if len(ids) < _CORPUS_TOKENS - MAX_OUTPUT_TOKENS:
            starts.append(len(ids))
        ids.append(rng.choice(list(spaced)))
        length = rng.randint(4, 14)
        for i in range(length):
            ids.append(rng.choice(words))
            if 2 < i < length - 1 and rng.random() < 0.08:  # never ",." (one token)
                ids.append(comma)
        ids.append(period)
    table = set(ids) | set(spaced.values())
    return _Corpus(ids[:_CORPUS_TOKENS], starts, spaced, {i: decode([i]) for i in table})


def prepare() -> None:
    """Build the corpus (loading the tokenizer) now, so the first request is not the slow one."""
    _corpus()


def request_seed(*parts: bytes) -> int:
    """A 64-bit seed from request content (stable across processes, unlike hash())."""
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(len(part).to_bytes(4, "little"))
        digest.update(part)
    return int.from_bytes(digest.digest(), "little")


def sub_seed(seed: int, index: int) -> int:
    """The seed of choice `index` (or any other numbered stream) derived from a request seed:
    splitmix64's mixer, cheap enough to run per choice."""
    z = (seed + (index + 1) * 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def text_ids(seed: int, count: int) -> list[int]:
    """`count` tokens of sentence-shaped text, the same for the same seed."""
    corpus = _corpus()
    count = max(0, min(count, MAX_OUTPUT_TOKENS))
    start = corpus.starts[seed % len(corpus.starts)]
    ids = corpus.ids[start : start + count]
    if ids:
        ids[0] = corpus.bare[ids[0]]
    return ids


def pieces(ids: list[int]) -> list[str]:
    """The text of `ids` in stream-sized pieces: one per token, except that tokens holding only part
    of a UTF-8 character are merged with the next ones until the character is whole."""
    table = _corpus().pieces
    try:
        return [table[token] for token in ids]  # the usual case: every token is a corpus word
    except KeyError:
        pass
    out: list[str] = []
    pending = b""
    for token in ids:
        text = table.get(token)
        if text is not None and not pending:
            out.append(text)
            continue
        pending += token_bytes(token)
        try:
            out.append(pending.decode("utf-8"))
            pending = b""
        except UnicodeDecodeError:
            continue
    if pending:
        out.append(pending.decode("utf-8", errors="replace"))
    return out


@lru_cache(maxsize=65536)
def token_bytes(token: int) -> bytes:
    return encoding().decode_single_token_bytes(token)


def natural_length(seed: int, low: int, high: int) -> int:
    """How long an answer is when nothing cuts it: between `low` and `high`, from the seed."""
    return low + seed % (high - low + 1)


def finish(
    ids: list[int], limit: int | None, stops: list[str], defects: frozenset[str]
) -> tuple[list[int], str]:
    """Apply max_tokens (`limit`) and stop sequences to a generated answer, as a server would:
    cut before the first stop sequence that completes within the first `limit` tokens ("stop"),
    else at `limit` tokens ("length"). Also applies the length_ignored and stop_ignored defects."""
    if "length_ignored" in defects:
        limit = None
    if "stop_ignored" in defects:
        return _with_stop(ids, stops), "stop"
    stops = [s for s in stops if s]
    if stops:
        text = decode(ids)
        allowed = len(text) if limit is None or limit >= len(ids) else len(decode(ids[:limit]))
        ends = [(pos + len(s), pos) for s in stops if (pos := text.find(s)) >= 0 and pos + len(s) <= allowed]
        if ends:
            ids = encode(text[: min(ends)[1]])
            return (ids[:limit], "length") if limit is not None and len(ids) > limit else (ids, "stop")
    if limit is not None and len(ids) > limit:
        return ids[:limit], "length"
    return ids, "stop"


def _with_stop(ids: list[int], stops: list[str]) -> list[int]:
    """The stop_ignored defect: make sure a stop sequence shows in the answer."""
    stops = [s for s in stops if s]
    text = decode(ids)
    if not stops or any(s in text for s in stops):
        return ids
    middle = len(ids) // 2
    return ids[:middle] + encode(stops[0]) + ids[middle:]
