"""The tokenizer loads without a warning: users' own suites run our pytest plugin, and a
DeprecationWarning from bpe-openai would show (or, under -W error, fail) in every one of them."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_tokenizer_warns_nothing() -> None:
    code = "from harness.tokens import count_tokens; print(count_tokens('hello world'))"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2" and not done.stderr
