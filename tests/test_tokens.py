"""The tokenizer: tiktoken encoding the ranks bpe-openai ships gives bpe-openai's own tokens, and it
loads without a warning (users' own suites run our pytest plugin, and a DeprecationWarning from
bpe-openai would show, or under -W error fail, in every one of them)."""

from __future__ import annotations

import random
import subprocess
import sys
import warnings

import pytest

from harness.load.prompts import prompt_text
from harness.tokens import load_tokenizer

SAMPLES = [
    "hello world",
    "Rivers begin in the mountains, don't they? I'LL SEE.",
    "1234567 + 89 = 1234656; 3.14159e-10",
    "  \n\tcafé 東京 🙂 naïve Ωμέγα привет مرحبا",
    "<|endoftext|> <|endofprompt|> <|fim_prefix|>",
    "def f(x):\n    return x ** 2  # square\n\n\n",
    "\u00a0\u2028 zero\u200bwidth \r\n\r\n",
]


def test_loading_the_tokenizer_warns_nothing() -> None:
    code = "from harness.tokens import count_tokens; print(count_tokens('hello world'))"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2" and not done.stderr


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_our_encodings_are_bpe_openai_s(name: str) -> None:
    """The same ids as bpe-openai's own encoder, on text of many scripts and on generated prompts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

        reference = bpe_openai.get_encoding(name)
    ours = load_tokenizer("" if name == "o200k_base" else name)
    rng = random.Random(7)
    texts = [*SAMPLES, *(prompt_text(rng, n, ours) for n in (1, 50, 700))]
    texts.append("".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(3000)))
    for text in texts:
        assert ours.encode(text) == reference.encode_ordinary(text), text[:60]
        assert ours.decode(reference.encode_ordinary(text)) == reference.decode(
            reference.encode_ordinary(text)
        )
