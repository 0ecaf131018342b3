"""Token counts from a real BPE tokenizer (OpenAI's o200k_base ranks, embedded in `bpe_openai`, offline).

Special-token text such as "<|endoftext|>" in user input is counted as ordinary text, never rejected.
The mock and the contract checks count with o200k_base (encode, decode, count_tokens). A load run
counts with the tokenizer it is given (`--tokenizer`, load_tokenizer): another of bpe_openai's
encodings, or a model's own tokenizer.json read by the `tokenizers` library; nothing is downloaded.
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
    """The tokenizer `spec` names: "" (o200k_base), one of bpe_openai's encodings (cl100k_base, ...),
    or the path of a model's tokenizer.json. Raises ValueError with a one-line reason."""
    if not spec or spec == ENCODING_NAME:
        return Tokenizer(ENCODING_NAME, encode, decode)
    if not names_a_file(spec):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", **_BPE_WARNING)
            import bpe_openai

            names = bpe_openai.list_encoding_names()
            if spec not in names:
                raise ValueError(
                    f"--tokenizer {spec!r}: give a tokenizer.json path or one of {', '.join(names)}"
                )
            bpe = bpe_openai.get_encoding(spec)
        return Tokenizer(spec, bpe.encode_ordinary, bpe.decode)
    return _tokenizer_json(Path(spec))


def names_a_file(spec: str) -> bool:
    """Whether a --tokenizer value is a tokenizer.json's path rather than an encoding's name."""
    return "/" in spec or spec.endswith(".json")


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
