"""Synthetic prompts of controlled token length, length distributions, and JSONL request files."""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest

from harness.load.prompts import (
    MAX_PROMPT_TOKENS,
    Distribution,
    load_requests,
    parse_distribution,
    prompt_text,
)
from harness.tokens import count_tokens


@pytest.mark.parametrize("tokens", [1, 7, 64, 256, 3000, MAX_PROMPT_TOKENS])
def test_prompts_are_exactly_the_asked_number_of_tokens(tokens: int) -> None:
    rng = random.Random(tokens)
    texts = [prompt_text(rng, tokens) for _ in range(20)]
    assert [count_tokens(text) for text in texts] == [tokens] * 20
    if tokens >= 7:
        assert len(set(texts)) == 20  # a different stretch each time: no prefix-cache flattery


def test_prompts_of_any_length_from_anywhere_count_exactly() -> None:
    rng = random.Random(11)
    for _ in range(300):
        tokens = rng.randint(1, 2000)
        assert count_tokens(prompt_text(rng, tokens)) == tokens


def test_distributions_parse_and_sample_their_shape() -> None:
    rng = random.Random(1)
    assert parse_distribution("128", "--x") == Distribution("constant", 128)
    assert {parse_distribution("128", "--x").sample(rng) for _ in range(10)} == {128}
    uniform = [parse_distribution("uniform:10,20", "--x").sample(rng) for _ in range(2000)]
    assert min(uniform) == 10 and max(uniform) == 20
    normal = [parse_distribution("normal:256,64", "--x").sample(rng) for _ in range(4000)]
    assert statistics.mean(normal) == pytest.approx(256, rel=0.03)
    assert statistics.stdev(normal) == pytest.approx(64, rel=0.08)
    lognormal = [parse_distribution("lognormal:200,0.6", "--x").sample(rng) for _ in range(4000)]
    assert statistics.median(lognormal) == pytest.approx(200, rel=0.05)
    assert min(parse_distribution("normal:2,50", "--x").sample(rng) for _ in range(500)) == 1  # kept >= 1


@pytest.mark.parametrize(
    "text", ["", "abc", "normal:5", "poisson:3,4", "uniform:20,10", "0", "inf", "normal:10,-1"]
)
def test_bad_distributions_name_the_flag(text: str) -> None:
    with pytest.raises(ValueError, match="--input-tokens"):
        parse_distribution(text, "--input-tokens")


def test_jsonl_requests_are_grouped_by_family(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}\n\n'
        '{"prompt": "once upon", "max_tokens": 3}\n{"input": ["a", "b"]}\n'
        '{"messages": [{"role": "user", "content": "again"}]}\n'
    )
    found = load_requests(str(path))
    assert {family: len(bodies) for family, bodies in found.items()} == {
        "chat": 2,
        "completions": 1,
        "embeddings": 1,
    }


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json\n", ":1: not JSON"),
        ('{"model": "x"}\n', ":1: a request body needs"),
        ("\n\n", "no requests"),
        ('{"input": "x"}\n[1, 2]\n', ":2: a request body needs"),
        ('{"input": "x"}\n{"input": ' + "[" * 1000 + "]" * 1000 + "}\n", ":2: nested deeper than 128 levels"),
        ('{"input": "' + "a" * (5 * 2**20) + '"}\n', ":1: a line over 4 MiB"),
    ],
)
def test_bad_jsonl_files_say_where(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / f"bad{abs(hash(content))}.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=reason):
        load_requests(str(path))


def test_missing_jsonl_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_requests(str(tmp_path / "nope.jsonl"))
