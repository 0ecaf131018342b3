"""A planned answer (chat or completions): its choices as token ids, before it is rendered as JSON or SSE."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mock_server.textgen import MAX_OUTPUT_TOKENS, finish, natural_length, text_ids


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: list[int]  # tokens of the arguments JSON


@dataclass
class Choice:
    index: int
    content: list[int]  # tokens of the text (or JSON) answer
    finish: str
    reasoning: list[int] | None = None  # reasoning models: tokens of the reasoning summary
    tool_call: ToolCall | None = None
    echo: str = ""  # completions with echo: the prompt, shown before the answer (not billed)

    @property
    def tokens(self) -> int:
        tool = len(self.tool_call.arguments) if self.tool_call else 0
        return len(self.content) + len(self.reasoning or ()) + tool


@dataclass
class Answer:
    """Everything about an answer that follows from the request alone, so it can be reused."""

    seed: int  # of the request: part of the answer's id
    model: str
    choices: list[Choice]
    prompt_tokens: int

    def head(self, obj: str, call_number: int, defects: frozenset[str]) -> dict[str, Any]:
        """id, object, created and model: what every body or chunk of this answer starts with."""
        prefix = "chatcmpl" if obj.startswith("chat") else "cmpl"
        now = int(time.time())
        created: int | str = str(now) if "created_string" in defects else now
        return {
            "id": f"{prefix}-{self.seed:016x}{call_number:06d}",
            "object": obj,
            "created": created,
            "model": self.model,
        }

    def usage(self, defects: frozenset[str], details: bool = False) -> dict[str, Any]:
        """Token counts; `details` adds OpenAI's completion_tokens_details (reasoning tokens, which
        completion_tokens include)."""
        completion = sum(choice.tokens for choice in self.choices)
        total = self.prompt_tokens + completion + (1 if "usage_mismatch" in defects else 0)
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": total,
        }
        if details:
            reasoning = sum(len(choice.reasoning or ()) for choice in self.choices)
            if "reasoning_tokens_over" in defects:
                reasoning = completion + 1
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        return usage

    @property
    def size(self) -> int:
        """Tokens held by all choices: what remembering this answer costs."""
        return sum(choice.tokens for choice in self.choices)

    @cached_property
    def longest(self) -> int:
        """Tokens of the longest choice: what paces a non-streamed answer (choices generate together)."""
        return max((choice.tokens for choice in self.choices), default=0)


def stop_list(stop: str | list[str] | None) -> list[str]:
    return [stop] if isinstance(stop, str) else list(stop or [])


def text_answer(
    seed: int, lengths: tuple[int, int], limit: int | None, stops: list[str], defects: frozenset[str]
) -> tuple[list[int], str]:
    """Deterministic text for `seed`, cut by max_tokens and stop sequences."""
    length = natural_length(seed, *lengths)
    if "length_ignored" in defects and limit is not None:
        length = max(length, min(limit + 1, MAX_OUTPUT_TOKENS))  # more than asked for
    return finish(text_ids(seed, length), limit, stops, defects)


def output_lengths(lengths: tuple[int, int], limit: int | None, body: dict[str, Any]) -> tuple[int, int]:
    """The range of natural answer lengths; vLLM's ignore_eos: no natural end, so the token cap cuts
    the answer ("length"); with no cap, the longest answer."""
    if not body.get("ignore_eos"):
        return lengths
    return (limit + 1 if limit else lengths[1],) * 2


def choice_count(n: int | None, defects: frozenset[str]) -> int:
    return 1 if "wrong_choice_count" in defects else (n or 1)


def finish_reason(reason: str, defects: frozenset[str]) -> str:
    return "done" if "bad_finish_reason" in defects else reason
