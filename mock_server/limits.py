"""What bounds the mock's time and memory per request, whatever a client sends.

The body size limit (413) is the profile's `max_body_bytes`; these bounds hold within it.
"""

from __future__ import annotations

from typing import Any

from harness.tokens import count_tokens, encode

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


def nests_deeper(value: Any, limit: int) -> bool:
    """Whether `value` (parsed JSON) has arrays/objects more than `limit` levels deep; iterative."""
    level: list[tuple[Any, int]] = [(value, 1)]
    while level:
        node, depth = level.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                level.append((child, depth + 1))
    return False


def text_tokens(text: str) -> int:
    """How many tokens `text` is, however long."""
    if len(text) <= CACHED_TEXT_CHARS:
        return count_tokens(text)
    pieces = range(0, len(text), TOKENIZER_PIECE_CHARS)
    return sum(len(encode(text[start : start + TOKENIZER_PIECE_CHARS])) for start in pieces)


def input_tokens(items: list[str | list[int]]) -> int:
    """How many tokens a list of inputs (texts or token-id lists) is, however long."""
    return sum(text_tokens(i) if isinstance(i, str) else len(i) for i in items)
