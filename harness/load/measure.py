"""Reading an LLM response as it arrives: when content came, what it said, and whether the stream is whole.

Pure data in, data out (bytes and clock readings in, numbers out), so it is tested without a network.
A chunk "carries content" when any choice's delta has non-empty `content` (a string, or Databricks
content blocks with text), `reasoning_content`/`reasoning`, or `tool_calls`, or a completions chunk
has non-empty `text`: TTFT is the first such chunk, ITL the gaps between them. The role-only first
chunk most servers send does not count; it is reported separately as `first_event`.
"""

from __future__ import annotations

from typing import Any

import orjson

from harness.families import PAYLOADS
from harness.tokens import Tokenizer, count_tokens
from harness.wire.limits import LIMIT
from harness.wire.sse import INVALID_UTF8, SSEDecoder


def _text_of(value: Any) -> str:
    """The text in a content value: a string, or a list of content blocks (Databricks reasoning)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for block in value:
            if isinstance(block, dict):
                parts.append(_text_of(block.get("text")))
                parts.append(_text_of(block.get("summary")))
        return "".join(parts)
    return ""


def _tool_text(calls: Any) -> str:
    if not isinstance(calls, list):
        return ""
    parts = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            parts.append(_text_of(function.get("name")))
            parts.append(_text_of(function.get("arguments")))
    return "".join(parts)


def output_text(choice: dict[str, Any], part: str) -> tuple[str, bool]:
    """(generated text, carries content?) of one choice; `part` is "delta" (chunks) or "message".

    Called for every chunk of every stream (a load generator's hottest line): the common case, a
    string `content` and nothing else, takes no call beyond the dict lookups."""
    if "text" in choice:  # completions
        text = _text_of(choice.get("text"))
        return text, bool(text)
    message = choice.get(part)
    if message.__class__ is not dict:
        return "", False
    content = message.get("content")
    text = content if content.__class__ is str else _text_of(content)
    for key in ("reasoning_content", "reasoning"):
        if (more := message.get(key)) is not None:
            text += _text_of(more)
    calls = message.get("tool_calls")
    if calls:
        text += _tool_text(calls)
    return text, bool(text) or bool(calls)


def answer_text(message: Any) -> str:
    """What a chat answer says to the user, the part a conversation's next turn carries: its content,
    without reasoning (vLLM's multi-turn bench drops it; DeepSeek refuses it back) or tool calls. A list
    of content blocks (Databricks' reasoning) gives its text blocks."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b["text"]
            for b in content
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        )
    return ""


def _choices(obj: Any) -> list[dict[str, Any]]:
    choices = obj.get("choices") if isinstance(obj, dict) else None
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


class StreamMeter:
    """Feed it the stream's bytes with the perf_counter time they arrived; read the results after close()."""

    def __init__(self, t0: float, keep_chunks: bool = False, keep_answer: bool = False) -> None:
        self.t0 = t0
        self._decoder = SSEDecoder()
        self.first_event: float | None = None  # perf_counter times
        self.first_content: float | None = None
        self._last_content = 0.0
        self.gaps_ms: list[float] = []
        self.pieces: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.done = False
        self.problem: str | None = None  # why the stream is broken, first reason only
        self.chunks: list[dict[str, Any]] | None = [] if keep_chunks else None
        self.answer: list[str] | None = [] if keep_answer else None  # the content alone (answer_text)

    def feed(self, data: bytes, now: float) -> None:
        for event in self._decoder.feed(data):
            self._event(event.data, now)
        if self._decoder.stopped and not (self.problem or "").startswith(LIMIT):
            self.problem = self._decoder.problems[-1]  # a limit: it outranks what the cut stream lacks

    def close(self, now: float) -> None:
        for event in self._decoder.close():
            self._event(event.data, now)
        # The decoder replaces bytes that are not UTF-8, so the events parse: the corruption shows only here.
        corrupt = [p for p in self._decoder.problems if p.startswith(INVALID_UTF8)]
        if self.problem is None and corrupt:
            self.problem = corrupt[0]
        if self.problem is None and not self.done:
            self.problem = "stream ended without data: [DONE]"

    def _event(self, data: str, now: float) -> None:
        if self.first_event is None:
            self.first_event = now
        if data == "[DONE]":
            self.done = True
            return
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.problem = self.problem or f"event is not JSON: {data[:60]!r}"
            return
        if not isinstance(chunk, dict) or "error" in chunk:
            self.problem = self.problem or f"error event in the stream: {data[:120]}"
            return
        if self.chunks is not None:
            self.chunks.append(chunk)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = usage
        carried = False
        choices = chunk.get("choices")
        for choice in choices if choices.__class__ is list else ():
            if choice.__class__ is not dict:
                continue
            text, has = output_text(choice, "delta")
            if has:
                carried = True
                self.pieces.append(text)
                if self.answer is not None:
                    self.answer.append(answer_text(choice.get("delta")))
        if carried:
            if self.first_content is None:
                self.first_content = now
            else:
                self.gaps_ms.append((now - self._last_content) * 1000)
            self._last_content = now

    def ms(self, when: float | None) -> float | None:
        return None if when is None else (when - self.t0) * 1000


def body_output(body: Any) -> tuple[str, dict[str, Any] | None]:
    """(generated text of every choice, usage) of a non-streamed response body."""
    text = "".join(output_text(choice, "message")[0] for choice in _choices(body))
    usage = body.get("usage") if isinstance(body, dict) else None
    return text, usage if isinstance(usage, dict) else None


def body_answer(body: Any) -> str:
    """The answer a conversation carries (answer_text) of a non-streamed response body."""
    choices = _choices(body)
    return answer_text(choices[0].get("message")) if choices else ""


def request_text(body: dict[str, Any]) -> str:
    """The text a request asks the model to read (messages, prompt or input), for the tokenizer count."""
    if "messages" in body:
        return "".join(_text_of(m.get("content")) for m in body["messages"] if isinstance(m, dict))
    value = body.get("prompt", body.get("input", ""))
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def token_counts(
    family: str,
    request: dict[str, Any],
    usage: dict[str, Any] | None,
    output: str,
    tokenizer: Tokenizer | None = None,
) -> tuple[int | None, int | None, str]:
    """(prompt tokens, completion tokens, source): the server's usage when it gives it, else our
    tokenizer's count (o200k_base unless another is given)."""
    if usage:
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        generates = PAYLOADS[family].generates
        if isinstance(prompt, int) and (not generates or isinstance(completion, int)):
            return prompt, (completion if generates else None), "usage"
    count = tokenizer.count if tokenizer else count_tokens
    completion_count = count(output) if PAYLOADS[family].generates else None
    return count(request_text(request)), completion_count, "tokenizer"
