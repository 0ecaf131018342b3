"""Token counts from a real BPE tokenizer (OpenAI's o200k_base ranks, embedded in `bpe_openai`, offline).

Special-token text such as "<|endoftext|>" in user input is counted as ordinary text, never rejected.
The mock and the contract checks count with o200k_base (encode, decode, count_tokens). A load run
counts with the tokenizer it is given (`--tokenizer`, load_tokenizer): another of bpe_openai's
encodings, a model's own tokenizer.json read by the `tokenizers` library, or a tiktoken ranks file
encoded by tiktoken; nothing is downloaded.
"""

from __future__ import annotations

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


@cache
def encoding() -> Any:
    """The shared encoding (a bpe_openai.Encoding), loaded once per process when first needed: importing
    bpe_openai loads its ranks (over a second), which a command that counts no token should not pay."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", **_BPE_WARNING)
        import bpe_openai

        return bpe_openai.get_encoding(ENCODING_NAME)


def encode(text: str) -> list[int]:
    return encoding().encode_ordinary(text)


def decode(ids: list[int]) -> str:
    """The text of `ids`; bytes that do not form whole UTF-8 characters become U+FFFD."""
    return encoding().decode(ids)


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
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", **_BPE_WARNING)
            import bpe_openai

            bpe = bpe_openai.get_encoding(spec)
        return Tokenizer(spec, bpe.encode_ordinary, bpe.decode)
    path = Path(spec)
    return _tokenizer_json(path) if path.suffix == ".json" else _tiktoken_file(path)


def shipped_encodings() -> list[str]:
    """The encodings bpe_openai carries the ranks of (its data files). It names more (gpt2, r50k_base,
    p50k_base), but builds those through tiktoken, which downloads them: give their .tiktoken file."""
    from importlib import resources

    suffix = ".tiktoken.gz"
    data = resources.files("bpe_openai.data")
    return sorted(item.name.removesuffix(suffix) for item in data.iterdir() if item.name.endswith(suffix))


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
    import tiktoken
    from tiktoken_ext import openai_public

    ranks = _read_ranks(path)
    split = (
        path.stem
        if path.stem in openai_public.ENCODING_CONSTRUCTORS and path.stem != "gpt2"
        else DEFAULT_SPLIT
    )
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
    name = f"{path} (tiktoken ranks, {split} split)"
    model = tiktoken.Encoding(
        name, pat_str=definition["pat_str"], mergeable_ranks=ranks, special_tokens=special
    )
    return Tokenizer(name, model.encode_ordinary, model.decode)


def _read_ranks(path: Path) -> dict[bytes, int]:
    import base64
    import binascii

    try:
        if path.stat().st_size > MAX_RANKS_BYTES:
            raise ValueError(f"--tokenizer {path}: over {MAX_RANKS_BYTES // 2**20} MiB, not a ranks file")
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"--tokenizer {path}: cannot read it ({exc.strerror or exc})") from None
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error):
            raise ValueError(
                f"--tokenizer {path}: line {number} is not '<base64 token> <rank>': give a tokenizer.json,"
                " a tiktoken ranks file, or an encoding's name"
            ) from None
    if not ranks:
        raise ValueError(f"--tokenizer {path}: no ranks in it")
    return ranks
