"""Stream reassembly: the chunks of a streamed completion folded back into the body a plain request gets.

Chat chunks become a chat.completion: per choice the role of the first delta, the content deltas
concatenated (Databricks content blocks merged block by block), refusal and reasoning_content (or
vLLM's newer `reasoning`) concatenated, tool calls assembled by index with their argument fragments
concatenated, logprobs joined, the last finish_reason; and the usage of the usage chunk. Completions
chunks become a text_completion the same way. Nothing is invented: a field no chunk carried stays
absent (or null), so the reassembled body fails its schema exactly where the stream fell short.
Values that are not shaped like chunk parts are skipped; the per-chunk schema check reports them.
"""

from __future__ import annotations

import copy
from typing import Any

# Where a message's reasoning text lives: DeepSeek's reasoning_content, and `reasoning`, which vLLM
# moved to (vllm-project/vllm#27752) and which OpenRouter uses.
REASONING_FIELDS = ("reasoning_content", "reasoning")


def reassemble(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The chat.completion a stream of chat.completion.chunk objects amounts to."""
    messages: dict[int, _Message] = {}
    for choice in _choices(chunks):
        messages.setdefault(choice["index"], _Message()).add(choice)
    return _body(chunks, "chat.completion", [messages[i].choice(i) for i in sorted(messages)])


def reassemble_text(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The text_completion a stream of completions chunks amounts to."""
    texts: dict[int, _Text] = {}
    for choice in _choices(chunks):
        texts.setdefault(choice["index"], _Text()).add(choice)
    return _body(chunks, "text_completion", [texts[i].choice(i) for i in sorted(texts)])


def _choices(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every choice of every chunk, in stream order, that has an integer index."""
    return [
        choice
        for chunk in chunks
        if isinstance(chunk.get("choices"), list)
        for choice in chunk["choices"]
        if isinstance(choice, dict) and _is_int(choice.get("index"))
    ]


def _body(chunks: list[dict[str, Any]], obj: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
    """The response around `choices`: id, created and model as the first chunk stating each has them
    (whether all chunks agree is a stream check's business), and the usage of the last usage chunk."""
    body: dict[str, Any] = {"id": _first(chunks, "id"), "object": obj}
    body["created"] = _first(chunks, "created")
    body["model"] = _first(chunks, "model")
    body["choices"] = choices
    for key in ("system_fingerprint", "service_tier"):
        value = _first(chunks, key)
        if value is not None:
            body[key] = value
    usages = [chunk["usage"] for chunk in chunks if isinstance(chunk.get("usage"), dict)]
    if usages:
        body["usage"] = usages[-1]  # with continuous usage stats the last one covers the whole stream
    return body


def _first(chunks: list[dict[str, Any]], key: str) -> Any:
    return next((chunk[key] for chunk in chunks if chunk.get(key) is not None), None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _join(parts: list[str]) -> str | None:
    return "".join(parts) if parts else None


class _Message:
    """One chat choice being rebuilt from its deltas."""

    def __init__(self) -> None:
        self.role: str | None = None
        self.blocks: list[dict[str, Any]] = []  # text and reasoning blocks, adjacent alike ones merged
        self.saw_content = False
        self.listed = False  # some delta carried content as a list of blocks (Databricks reasoning)
        self.refusal: list[str] = []
        self.reasoning: dict[str, list[str]] = {}  # by field: reasoning_content, or vLLM's newer reasoning
        self.calls: dict[int, dict[str, Any]] = {}
        self.logprobs: dict[str, list[Any]] | None = None
        self.finish_reason: str | None = None

    def add(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            if self.role is None and isinstance(delta.get("role"), str):
                self.role = delta["role"]
            self._content(delta.get("content"))
            if isinstance(delta.get("refusal"), str):
                self.refusal.append(delta["refusal"])
            for key in REASONING_FIELDS:
                if isinstance(delta.get(key), str):
                    self.reasoning.setdefault(key, []).append(delta[key])
            if isinstance(delta.get("tool_calls"), list):
                for call in delta["tool_calls"]:
                    if isinstance(call, dict) and _is_int(call.get("index")):
                        self._tool_call(call)
        if isinstance(choice.get("logprobs"), dict):
            self._logprobs(choice["logprobs"])
        if choice.get("finish_reason") is not None:
            self.finish_reason = choice["finish_reason"]

    def _content(self, content: Any) -> None:
        if isinstance(content, str):
            self.saw_content = True
            self._block({"type": "text", "text": content})
        elif isinstance(content, list):
            self.saw_content = self.listed = True
            for block in content:
                if isinstance(block, dict):
                    self._block(block)

    def _block(self, block: dict[str, Any]) -> None:
        last = self.blocks[-1] if self.blocks else None
        kind = block.get("type")
        if last is None or last.get("type") != kind:
            self.blocks.append(copy.deepcopy(block))
        elif kind == "text" and _is_text(last.get("text")) and isinstance(block.get("text"), str):
            _extend(last, "text", block["text"])
        elif (
            kind == "reasoning"
            and isinstance(last.get("summary"), list)
            and isinstance(block.get("summary"), list)
        ):
            _merge_summary(last["summary"], block["summary"])
        else:
            self.blocks.append(copy.deepcopy(block))

    def _tool_call(self, delta: dict[str, Any]) -> None:
        call = self.calls.setdefault(delta["index"], {"function": {}})
        for key in ("id", "type"):
            if key not in call and delta.get(key) is not None:
                call[key] = delta[key]  # the first delta names the call; repeats must not double it
        function = delta.get("function")
        if not isinstance(function, dict):
            return
        if "name" not in call["function"] and function.get("name") is not None:
            call["function"]["name"] = function["name"]
        if isinstance(function.get("arguments"), str):
            _extend(call["function"], "arguments", function["arguments"])

    def _logprobs(self, logprobs: dict[str, Any]) -> None:
        if self.logprobs is None:
            self.logprobs = {"content": [], "refusal": []}
        for key, tokens in self.logprobs.items():
            if isinstance(logprobs.get(key), list):
                tokens.extend(logprobs[key])

    def choice(self, index: int) -> dict[str, Any]:
        for block in self.blocks:
            _joined(block, "text")
            summary = block.get("summary")
            for part in summary if isinstance(summary, list) else []:
                if isinstance(part, dict):
                    _joined(part, "text")
        for call in self.calls.values():
            _joined(call["function"], "arguments")
        message: dict[str, Any] = {"role": self.role, "content": self._final_content()}
        message["refusal"] = _join(self.refusal)
        for key, parts in self.reasoning.items():
            message[key] = "".join(parts)
        if self.calls:
            message["tool_calls"] = [self.calls[i] for i in sorted(self.calls)]
        logprobs = None
        if self.logprobs is not None:
            logprobs = {key: tokens or None for key, tokens in self.logprobs.items()}
        return {"index": index, "message": message, "finish_reason": self.finish_reason, "logprobs": logprobs}

    def _final_content(self) -> Any:
        if not self.saw_content:
            return None
        if self.listed:
            return self.blocks
        return "".join(block["text"] for block in self.blocks)  # string deltas only: one text block


class _Parts(list):
    """Text fragments of one field, joined when the choice is built: `+=` on a str held in a dict
    copies it each time, which is quadratic over a long stream."""


def _is_text(value: Any) -> bool:
    return isinstance(value, str | _Parts)


def _extend(holder: dict[str, Any], key: str, more: str) -> None:
    value = holder.get(key, "")
    if not isinstance(value, _Parts):
        value = holder[key] = _Parts([value])
    value.append(more)


def _joined(holder: dict[str, Any], key: str) -> None:
    if isinstance(holder.get(key), _Parts):
        holder[key] = "".join(holder[key])


def _merge_summary(into: list[Any], more: list[Any]) -> None:
    """Append streamed summary parts: a summary_text fragment extends the one before it.

    The last fragment of a reasoning block may carry only a `signature`: later non-empty keys win.
    """
    for part in more:
        last = into[-1] if into else None
        if (
            isinstance(part, dict)
            and isinstance(last, dict)
            and last.get("type") == part.get("type") == "summary_text"
            and _is_text(last.get("text"))
            and isinstance(part.get("text"), str)
        ):
            _extend(last, "text", part["text"])
            last.update({k: v for k, v in part.items() if k not in ("type", "text") and v})
        else:
            into.append(copy.deepcopy(part))


class _Text:
    """One completions choice being rebuilt from its chunks."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.logprobs: dict[str, list[Any]] | None = None
        self.finish_reason: str | None = None

    def add(self, choice: dict[str, Any]) -> None:
        if isinstance(choice.get("text"), str):
            self.text.append(choice["text"])
        if isinstance(choice.get("logprobs"), dict):
            if self.logprobs is None:
                self.logprobs = {}
            for key, values in choice["logprobs"].items():
                if isinstance(values, list):
                    self.logprobs.setdefault(key, []).extend(values)
        if choice.get("finish_reason") is not None:
            self.finish_reason = choice["finish_reason"]

    def choice(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "text": _join(self.text),
            "finish_reason": self.finish_reason,
            "logprobs": self.logprobs,
        }
