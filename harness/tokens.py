"""Token counts from a real BPE tokenizer (OpenAI's o200k_base ranks, shipped by `bpe_openai`, offline).

Special-token text such as "<|endoftext|>" in user input is counted as ordinary text, never rejected.
The mock and the contract checks count with o200k_base (encode, decode, count_tokens). A load run
counts with the tokenizer it is given (`--tokenizer`, load_tokenizer): another of bpe_openai's
encodings, a model's own tokenizer.json read by the `tokenizers` library, or a tiktoken ranks file;
nothing is downloaded. tiktoken encodes the ranks of OpenAI's encodings, bpe_openai's files among them
(the same tokens: tests/test_tokens.py), because importing bpe_openai parses three encodings' ranks
(over a second, in every mock and Locust process) where tiktoken reads the one asked for (half that).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

# bpe-openai 0.1.4 reads its packaged ranks with importlib.resources.open_binary, deprecated since
# Python 3.11, at import and at each encoding's load: silenced here, so users' own suites (through our
# pytest plugin) never see it.
_BPE_WARNING = {"message": "open_binary is deprecated", "category": DeprecationWarning}

ENCODING_NAME = "o200k_base"


SHIPPED_SUFFIX = ".tiktoken.gz"  # bpe_openai's data files: tiktoken ranks, gzipped


@cache
def encoding() -> Any:
    """The shared encoding (a tiktoken.Encoding of o200k_base), loaded once per process when first
    needed: a command that counts no token does not pay for its ranks."""
    return _shipped_tiktoken(ENCODING_NAME)


def encode(text: str) -> list[int]:
    return encoding().encode_ordinary(text)


def decode(ids: list[int]) -> str:
    """The text of `ids`; bytes that do not form whole UTF-8 characters become U+FFFD. KeyError for an
    id that is not in the vocabulary."""
    try:
        return encoding().decode(ids)
    except OverflowError:  # tiktoken's answer to an id below 0 or past 32 bits
        raise KeyError(f"a token id out of range for {ENCODING_NAME}") from None


@lru_cache(maxsize=8192)
def count_tokens(text: str) -> int:
    """How many tokens `text` is. Cached: load tests send the same prompts over and over."""
    return len(encoding().encode_ordinary(text))


@dataclass(frozen=True)
class Tokenizer:
    """A tokenizer a load run counts with; `name` is what load.json records."""

    name: str
    encode: Any = field(repr=False)  # (text) -> list[int], special-token text counted as text
    decode: Any = field(repr=False)  # (ids) -> str

    def count(self, text: str) -> int:
        return _count(self, text)


@lru_cache(maxsize=8192)
def _count(tokenizer: Tokenizer, text: str) -> int:  # load tests send the same prompts over and over
    return len(tokenizer.encode(text))


@cache
def load_tokenizer(spec: str = "") -> Tokenizer:
    """The tokenizer `spec` names: "" (o200k_base), an encoding bpe_openai ships (cl100k_base, ...), the
    path of a model's tokenizer.json, or of a tiktoken ranks file (`*.tiktoken`, Llama 3's
    tokenizer.model). Raises ValueError with a one-line reason; nothing is ever downloaded."""
    if not spec or spec == ENCODING_NAME:
        return Tokenizer(ENCODING_NAME, encode, decode)
    if not names_a_file(spec):
        names = shipped_encodings()
        if spec not in names:
            raise ValueError(
                f"--tokenizer {spec!r}: give the path of a tokenizer.json or a tiktoken ranks file, or one of"
                f" {', '.join(names)}"
            )
        if _tiktoken_defines(spec):
            model = _shipped_tiktoken(spec)
            return Tokenizer(spec, model.encode_ordinary, model.decode)
        with warnings.catch_warnings():  # one tiktoken has no definition of (voyage3_base)
            warnings.filterwarnings("ignore", **_BPE_WARNING)
            import bpe_openai

            bpe = bpe_openai.get_encoding(spec)
        return Tokenizer(spec, bpe.encode_ordinary, bpe.decode)
    path = Path(spec)
    return _tokenizer_json(path) if path.suffix == ".json" else _tiktoken_file(path)


def shipped_encodings() -> list[str]:
    """The encodings bpe_openai carries the ranks of (its data files). It names more (gpt2, r50k_base,
    p50k_base), but builds those through tiktoken, which downloads them: give their .tiktoken file."""
    data = shipped_file(ENCODING_NAME).parent
    return sorted(
        p.name.removesuffix(SHIPPED_SUFFIX) for p in data.iterdir() if p.name.endswith(SHIPPED_SUFFIX)
    )


def shipped_file(name: str) -> Path:
    """bpe_openai's ranks file of encoding `name`, found without importing bpe_openai."""
    from importlib.util import find_spec

    package = find_spec("bpe_openai")
    assert package is not None and package.submodule_search_locations, "bpe-openai is a dependency"
    return Path(next(iter(package.submodule_search_locations))) / "data" / f"{name}{SHIPPED_SUFFIX}"


def _tiktoken_defines(name: str) -> bool:
    """Whether tiktoken has the definition (split pattern, special tokens) of encoding `name`."""
    from tiktoken_ext import openai_public

    return name in openai_public.ENCODING_CONSTRUCTORS and name != "gpt2"


def _shipped_tiktoken(name: str) -> Any:
    """A tiktoken.Encoding of one of OpenAI's encodings, from the ranks bpe_openai ships."""
    return _tiktoken(name, _shipped_ranks(shipped_file(name)), name)


def cache_dir() -> Path | None:
    """Where servecheck keeps what it can rebuild: $XDG_CACHE_HOME/servecheck (an absolute one, as the
    XDG spec says), else ~/.cache/servecheck; None with no home to resolve (a container's user without
    one), rather than a folder named "~" wherever the process runs."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "servecheck"


def _shipped_ranks(path: Path) -> dict[bytes, int]:
    """The ranks of a shipped gzipped file, kept parsed in the cache: marshal reads o200k_base's in 0.09 s
    where parsing takes 0.3 s, in every mock and Locust process. Named by the file's size and time and
    the Python version (marshal's format is one Python's); an unusable cache only costs the parse."""
    import gzip
    import marshal

    folder = cache_dir()
    stat = path.stat()
    version = "".join(map(str, sys.version_info[:2]))
    kept = folder / f"{path.name}.{stat.st_size}.{stat.st_mtime_ns}.py{version}.marshal" if folder else None
    if kept is not None:
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            ranks = marshal.loads(kept.read_bytes())
            if isinstance(ranks, dict) and ranks:
                return ranks
    ranks = _parse_ranks(gzip.decompress(path.read_bytes()), path)
    if kept is not None:
        with contextlib.suppress(OSError):  # a read-only home: parse each time
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps(ranks))
            os.replace(partial, kept)  # whole or not at all, whoever else writes it at the same time
    return ranks


def names_a_file(spec: str) -> bool:
    """Whether a --tokenizer value is a file's path rather than an encoding's name."""
    return "/" in spec or spec.endswith((".json", ".tiktoken", ".model"))


def _tokenizer_json(path: Path) -> Tokenizer:
    from tokenizers import Tokenizer as HFTokenizer

    try:
        model = HFTokenizer.from_file(str(path))
    except Exception as exc:  # the library raises its own Exception for every kind of bad file
        reason = "no such file" if not path.is_file() else str(exc).splitlines()[0][:200]
        raise ValueError(f"--tokenizer {path}: not a tokenizer.json ({reason})") from None

    def encode_text(text: str) -> list[int]:
        return model.encode(text, add_special_tokens=False).ids

    def decode_ids(ids: list[int]) -> str:
        return model.decode(ids, skip_special_tokens=False)

    return Tokenizer(str(path), encode_text, decode_ids)


MAX_RANKS_BYTES = 64 * 2**20  # o200k_base's file is 3.6 MB
DEFAULT_SPLIT = "cl100k_base"  # the pre-tokenizer Llama 3's tiktoken model uses too


def _tiktoken_file(path: Path) -> Tokenizer:
    """A tiktoken ranks file (lines of `<base64 token> <rank>`), encoded by tiktoken itself. The text
    is split before merging by the pattern of the OpenAI encoding the file is named after (p50k_base
    .tiktoken, ...), else by cl100k_base's; the name load.json records says which."""
    split = path.stem if _tiktoken_defines(path.stem) else DEFAULT_SPLIT
    name = f"{path} (tiktoken ranks, {split} split)"
    model = _tiktoken(name, _read_ranks(path), split)
    return Tokenizer(name, model.encode_ordinary, model.decode)


def _tiktoken(name: str, ranks: dict[bytes, int], split: str) -> Any:
    """tiktoken's encoding of `ranks`, split before merging by the pattern of OpenAI's encoding `split`,
    with its special tokens (those whose ids the ranks leave free)."""
    import tiktoken
    from tiktoken_ext import openai_public

    # tiktoken's definitions of its encodings (pattern, special tokens) load their ranks by URL; handed
    # the file's ranks instead, nothing is fetched.
    fetch = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *_args, **_kwargs: ranks
    try:
        definition = openai_public.ENCODING_CONSTRUCTORS[split]()
    finally:
        openai_public.load_tiktoken_bpe = fetch
    taken = set(ranks.values())
    special = {text: rank for text, rank in definition["special_tokens"].items() if rank not in taken}
    return tiktoken.Encoding(
        name, pat_str=definition["pat_str"], mergeable_ranks=ranks, special_tokens=special
    )


def _read_ranks(path: Path) -> dict[bytes, int]:
    try:
        if path.stat().st_size > MAX_RANKS_BYTES:
            raise ValueError(f"--tokenizer {path}: over {MAX_RANKS_BYTES // 2**20} MiB, not a ranks file")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"--tokenizer {path}: cannot read it ({exc.strerror or exc})") from None
    return _parse_ranks(data, path)


def _parse_ranks(data: bytes, path: Path) -> dict[bytes, int]:
    import binascii

    lines = [line for line in data.splitlines() if line.strip()]
    try:  # one comprehension: o200k_base's 200,000 lines in a quarter of a second
        ranks = {
            binascii.a2b_base64(token, strict_mode=True): int(rank) for token, rank in map(bytes.split, lines)
        }
    except (ValueError, binascii.Error):
        number = next(
            n for n, line in enumerate(data.splitlines(), 1) if line.strip() and not _rank_line(line)
        )
        raise ValueError(
            f"--tokenizer {path}: line {number} is not '<base64 token> <rank>': give a tokenizer.json,"
            " a tiktoken ranks file, or an encoding's name"
        ) from None
    if not ranks:
        raise ValueError(f"--tokenizer {path}: no ranks in it")
    return ranks


def _rank_line(line: bytes) -> bool:
    import binascii

    try:
        token, rank = line.split()
        binascii.a2b_base64(token, strict_mode=True), int(rank)
    except (ValueError, binascii.Error):
        return False
    return True
