"""Vision: image parts are billed: prompt_tokens >= the text-only cost + 1 per image."""

from __future__ import annotations

from payloads import (
    chat_request,
    chat_response,
    exchange,
    fails,
    passes,
    skips,
    stream_exchange,
    to_chunks,
    usage,
)

from harness.checks.vision import IMAGE_TOKEN_FLOOR, MESSAGE_TOKENS, REPLY_TOKENS
from harness.tokens import count_tokens

QUESTION = "What is in this image? Answer in one short sentence."
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
URL = "https://example.com/boardwalk.jpg"


def vision_request(*urls: str, **fields: object) -> dict:
    parts = [{"type": "text", "text": QUESTION}] + [
        {"type": "image_url", "image_url": {"url": u}} for u in urls
    ]
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": parts}]
    return chat_request(messages=messages, **fields)


# What OpenAI would bill for the two messages without their images.
TEXT_ONLY = REPLY_TOKENS + 2 * MESSAGE_TOKENS + count_tokens(QUESTION) + count_tokens("Be brief.")


def test_prompt_tokens_of_a_billing_server_pass() -> None:
    body = chat_response(tokens=usage(TEXT_ONLY + 85 * 2, 5))
    passes("vision.billed", exchange("vision", vision_request(PNG, URL), body))


def test_the_floor_is_the_text_only_cost_plus_one_per_image() -> None:
    floor = TEXT_ONLY + IMAGE_TOKEN_FLOOR * 2
    passes(
        "vision.billed", exchange("vision", vision_request(PNG, URL), chat_response(tokens=usage(floor, 5)))
    )
    below = exchange("vision", vision_request(PNG, URL), chat_response(tokens=usage(floor - 1, 5)))
    failure = fails(
        "vision.billed", below, f"prompt_tokens >= {floor}", f"{TEXT_ONLY} without images", "2 image(s)"
    )
    assert failure.path == "$.usage.prompt_tokens"


def test_a_server_billing_only_the_text_fails() -> None:
    body = chat_response(tokens=usage(TEXT_ONLY, 5))
    fails("vision.billed", exchange("vision", vision_request(PNG), body), "the images are not billed")


def test_billing_is_judged_on_a_stream_usage_chunk() -> None:
    chunks = to_chunks(chat_response(tokens=usage(TEXT_ONLY, 5)), include_usage=True)
    ex = stream_exchange("vision", vision_request(URL, stream_options={"include_usage": True}), chunks)
    fails("vision.billed", ex, "(in the reassembled stream)")


def test_nothing_to_judge_without_images_or_usage() -> None:
    skips("vision.billed", exchange("chat", chat_request(), chat_response(tokens=usage(1, 5))))
    no_usage = chat_response()
    del no_usage["usage"]
    skips("vision.billed", exchange("vision", vision_request(PNG), no_usage))
