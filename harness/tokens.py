"""Token counts from a real BPE tokenizer (OpenAI's o200k_base ranks, embedded in `bpe_openai`, offline).

Special-token text such as "<|endoftext|>" in user input is counted as ordinary text, never rejected.
"""

from __future__ import annotations

import warnings
from functools import cache, lru_cache
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
