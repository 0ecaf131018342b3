"""Vision: image content parts are billed as prompt tokens.

"Billed" is judged against a floor: what the prompt would cost without its images, plus
IMAGE_TOKEN_FLOOR per image. The text-only cost is counted as OpenAI bills a chat prompt: the text
(o200k tokenizer), MESSAGE_TOKENS framing each message and REPLY_TOKENS priming the reply. Other
chat templates frame messages with as many tokens or more (Llama 3 and Qwen spend 5 per message,
Gemma 5), and other tokenizers split English into as many tokens as o200k or more, so the text-only
cost is a lower bound. The per-image floor is 1 token, the least any provider charges (OpenAI bills
>= 85 per low-detail image, Anthropic about width x height / 750, so a tiny image may cost 1).
A server that reports the text-only cost for a prompt with images fails; one that bills any image
token passes. Rejection of a malformed image (a 4xx) is judged by the negative checks.
"""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.views import CHAT_FAMILIES, completion, from_stream, integer, request_body
from harness.tokens import count_tokens
from harness.wire.exchange import Exchange

IMAGE_TOKEN_FLOOR = 1
MESSAGE_TOKENS = 3  # OpenAI's chat format: tokens framing each message
REPLY_TOKENS = 3  # ... and priming the assistant's reply


def text_only_floor(ex: Exchange) -> tuple[int, int]:
    """(the least the request's prompt costs without its images, how many image parts it holds)."""
    messages = request_body(ex).get("messages")
    messages = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
    tokens = REPLY_TOKENS + MESSAGE_TOKENS * len(messages)
    images = 0
    for msg in messages:
        content = msg.get("content")
        if isinstance(content, str):
            tokens += count_tokens(content)
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "image_url":
                images += 1
            elif part.get("type") == "text" and isinstance(part.get("text"), str):
                tokens += count_tokens(part["text"])
    return tokens, images


def _prompt_tokens(ex: Exchange) -> int | None:
    doc = completion(ex)
    usage = doc.get("usage") if doc is not None else None
    return integer(usage.get("prompt_tokens")) if isinstance(usage, dict) else None


@check(
    "vision.billed",
    f"prompt_tokens >= the prompt's cost without images + {IMAGE_TOKEN_FLOOR} per image part",
    applies=lambda ex: (
        ex.family in CHAT_FAMILIES and text_only_floor(ex)[1] > 0 and _prompt_tokens(ex) is not None
    ),
    level="compat",
    why=(
        "Image parts cost prompt tokens on OpenAI's and Databricks' servers; a server that bills nothing "
        "likely ignored the image."
    ),
    breaks="cost tracking, and every user whose image was silently dropped",
)
def billed(ex: Exchange) -> None:
    text_only, images = text_only_floor(ex)
    floor = text_only + IMAGE_TOKEN_FLOOR * images
    got = _prompt_tokens(ex)
    if got is not None and got < floor:
        raise CheckFailed(
            f"expected prompt_tokens >= {floor} ({text_only} without images + {IMAGE_TOKEN_FLOOR} x {images}"
            f" image(s)), got {got}: the images are not billed{from_stream(ex)}",
            "$.usage.prompt_tokens",
        )
