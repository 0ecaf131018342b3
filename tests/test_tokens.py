"""The tokenizer: tiktoken encoding the ranks bpe-openai ships gives bpe-openai's own tokens, and it
loads without a warning (users' own suites run our pytest plugin, and a DeprecationWarning from
bpe-openai would show, or under -W error fail, in every one of them)."""

from __future__ import annotations

import marshal
import random
import subprocess
import sys
import warnings

import pytest

from harness import tokens
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


def test_the_shipped_ranks_are_kept_parsed_in_the_cache(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed once, then read from $XDG_CACHE_HOME/servecheck; a damaged or unwritable cache only costs
    the parse."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tokens.shipped_file("cl100k_base")
    parsed = tokens._shipped_ranks(source)
    (kept,) = (tmp_path / "cache" / "servecheck").glob("cl100k_base.tiktoken.gz.*.marshal")
    assert len(parsed) > 100_000 and tokens._shipped_ranks(source) == parsed

    kept.write_bytes(marshal.dumps({b"only": 0}))  # what is kept is what is read
    assert tokens._shipped_ranks(source) == {b"only": 0}
    kept.write_bytes(kept.read_bytes()[:5])  # cut short: parsed again, and kept whole again
    assert tokens._shipped_ranks(source) == parsed and marshal.loads(kept.read_bytes()) == parsed

    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # no folder can be made there
    assert tokens._shipped_ranks(source) == parsed

    # No home to resolve (a relative XDG_CACHE_HOME is ignored, as its spec says): parsed, and no
    # folder called "~" (or "relative") appears where the process runs.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    monkeypatch.setattr(tokens.os.path, "expanduser", lambda path: path)
    assert tokens.cache_dir() is None and tokens._shipped_ranks(source) == parsed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "file"]
