"""What bounds the mock's time and memory per request, whatever a client sends.

The body size limit (413) is the profile's `max_body_bytes`; these bounds hold within it.
"""

from __future__ import annotations

from harness.tokens import count_tokens, encode
from mock_server.errors import invalid
from mock_server.profile import ModelSpec

# Deeper JSON is refused (400) before anything recurses over it: orjson writes at most 255 levels and
# the schema validator stops near 100, while a real request nests a dozen levels at most.
MAX_JSON_DEPTH = 64
# An invalid body larger than this gets a 400 without a field-by-field explanation: explaining a
# union (`input`: string | strings | token ids ...) builds an error per array item and branch, which
# for a 2 MB array of token ids takes half a minute.
EXPLAIN_LIMIT_BYTES = 64 * 1024
# Slow clients are cut off: a request head must arrive within HEADER_TIMEOUT_S of the connection
# opening (or of the previous answer), its body within BODY_TIMEOUT_S of the head.
HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 10.0
# The tokenizer refuses a text of a million characters or more; longer prompts are counted in pieces
# (off by at most a token per cut), and left out of the token-count cache that holds short texts.
TOKENIZER_PIECE_CHARS = 250_000
CACHED_TEXT_CHARS = 10_000
# What a caller's schema (response_format, tool parameters) may demand of one generated document:
# past these the request gets 400 naming the limit, before the work is done (minItems 1e7, minLength
# 2e8 or arrays of arrays of arrays would otherwise hold the event loop and the memory).
MAX_GENERATED_VALUES = 10_000
MAX_GENERATED_CHARS = 1_000_000
GENERATED_CACHE = 64  # generated documents and compiled schemas kept (keyed by schema and seed)


def check_token_budget(model: ModelSpec, prompt: int, limit: int | None, param: str) -> None:
    """400, worded as OpenAI words it, when `limit` (max_tokens) is over the model's ceiling or the
    prompt and the completion do not fit its context."""
    if limit is not None and limit > model.max_output_tokens:
        message = f"max_tokens is too large: {limit}. This model supports at most {model.max_output_tokens}"
        raise invalid(message + " completion tokens.", param)
    asked = prompt + (limit or 0)
    if asked > model.context_tokens:
        raise invalid(
            f"This model's maximum context length is {model.context_tokens} tokens. However, you requested "
            f"{asked} tokens ({prompt} in the prompt, {limit or 0} in the completion).",
            "messages",
        )


def text_tokens(text: str) -> int:
    """How many tokens `text` is, however long."""
    if len(text) <= CACHED_TEXT_CHARS:
        return count_tokens(text)
    pieces = range(0, len(text), TOKENIZER_PIECE_CHARS)
    return sum(len(encode(text[start : start + TOKENIZER_PIECE_CHARS])) for start in pieces)


def input_tokens(items: list[str | list[int]]) -> int:
    """How many tokens a list of inputs (texts or token-id lists) is, however long."""
    return sum(text_tokens(i) if isinstance(i, str) else len(i) for i in items)
