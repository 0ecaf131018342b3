"""Log probabilities (chat `logprobs` and `top_logprobs`): made up, but deterministic per token and
shaped as OpenAI's. Each generated token is the most likely one (the answers are temperature-0
answers), so it heads its own top_logprobs; every value is <= 0 (the logprobs_positive defect
breaks that)."""

from __future__ import annotations

from typing import Any

from mock_server.textgen import token_bytes


def _logprob(token: int) -> float:
    return -((token * 2654435761) % 4000) / 1000.0  # in (-4, 0]


def _entry(token: int, logprob: float) -> dict[str, Any]:
    raw = token_bytes(token)
    return {"token": raw.decode("utf-8", errors="replace"), "logprob": logprob, "bytes": list(raw)}


def entries(ids: list[int], top: int, defects: frozenset[str]) -> list[dict[str, Any]]:
    """One entry per token of `ids`, each with its `top` most likely alternatives (itself first)."""
    out = []
    for token in ids:
        logprob = -_logprob(token) + 0.5 if "logprobs_positive" in defects else _logprob(token)
        alternatives = [_entry(token, logprob)]
        alternatives += [_entry(token + k, logprob - 0.75 * k) for k in range(1, top)]
        out.append({**_entry(token, logprob), "top_logprobs": alternatives[:top]})
    return out


def split(texts: list[str], ids: list[int]) -> list[list[int]]:
    """The tokens behind each streamed piece of `texts` (pieces of `ids`: one token, or the tokens
    of one multi-token character)."""
    groups, at = [], 0
    for text in texts:
        need, group, size = len(text.encode()), [], 0
        while at < len(ids) and (not group or size < need):
            group.append(ids[at])
            size += len(token_bytes(ids[at]))
            at += 1
        groups.append(group)
    if groups and at < len(ids):
        groups[-1] += ids[at:]
    return groups
