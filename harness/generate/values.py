"""Realistic leaf values for generated requests, by format name.

Overlays put `"format": "<name>"` on string leaves; the generator then draws them from
FORMATS instead of random unicode. Text mixes plain English with accents, CJK and emoji, and is
short (at most 200 characters) except for an occasional longer prompt of a few thousand.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from harness.generate.images import SAMPLE_IMAGE_URL, image_data_uris

SHORT_MAX = 200
LONG_MAX = 3000


def _words(text: str) -> list[str]:
    return text.split()


_ASCII_WORDS = _words(
    """
    the quick brown fox jumps over lazy dog weather today tomorrow city river mountain
    coffee tea bread recipe garden planet ocean history music guitar piano train ticket
    price market report meeting summary email draft budget travel hotel museum library
    science energy solar battery network server latency cache memory python rust code
    function error test review idea plan goal story friend family morning evening
    winter summer spring autumn quickly slowly carefully simple short long small large
    """
)
_UNICODE_WORDS = _words(
    """
    café naïve résumé Zürich São Paulo Ångström crème brûlée piñata façade Kraków jalapeño
    你好 世界 東京 北京 天気 こんにちは ありがとう 서울 감사합니다
    🙂 🚀 👍🏽 🇫🇷 ☕ 🎉 🐍 ❤️
    """
)
# About one word in four is non-ASCII.
_WORDS = _ASCII_WORDS + _UNICODE_WORDS

_OPENERS = (
    "Explain",
    "Summarize",
    "Write a haiku about",
    "What is",
    "Translate to French:",
    "List three facts about",
    "Give me a short tip on",
    "Tell me a joke about",
    "How do I",
    "",
)
_ENDINGS = ("?", ".", "!", "")

_SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a concise assistant. Answer in one short sentence.",
    "Tu es un assistant utile. Réponds en français.",
    "Reply briefly; use bullet points when they help.",
    "You are a friendly tutor who explains things simply.",
)
_JSON_SYSTEM_PROMPTS = (
    "You are a data extraction assistant. Reply with one JSON object and nothing else.",
    "Answer in JSON only: a single object, no prose.",
    "Respond with valid JSON. Do not wrap it in Markdown.",
)
_REPLIES = (
    "Sure, here is a short answer.",
    "The capital of France is Paris.",
    "I think it will rain tomorrow afternoon.",
    "Voilà, c'est fait !",
    "東京は日本の首都です。",
    "Here are three ideas: walk, read, rest. 🙂",
)
_VISION_PROMPTS = (
    "Describe this image in one sentence.",
    "What colours do you see?",
    "Is there any text in this image?",
    "What is the main subject of this picture?",
    "Décris cette image en quelques mots.",
)
_STOP_SEQUENCES = ("\n\n", "END", "###", "Observation:", "</answer>", "\nUser:", "。")
_TOOL_RESULTS = ('{"status": "ok"}', "done", '{"result": 42}', "No results found.")


def _joined(words: list[str], opener: str, ending: str) -> str:
    return (" ".join([opener, *words]) if opener else " ".join(words)) + ending


_sentences = st.builds(
    _joined,
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30),
    st.sampled_from(_OPENERS),
    st.sampled_from(_ENDINGS),
)
_short_texts = _sentences.map(lambda text: text[:SHORT_MAX])


def _long_text(seed: int, sentences: int) -> str:
    """`sentences` sentences made like `_sentences`, from a seeded generator: a long prompt costs
    Hypothesis two choices rather than hundreds (it shrinks to seed 0, the shortest length)."""
    rng = random.Random(seed)
    parts = [
        _joined(rng.choices(_WORDS, k=rng.randint(1, 30)), rng.choice(_OPENERS), rng.choice(_ENDINGS))
        for _ in range(sentences)
    ]
    return " ".join(parts)[:LONG_MAX]


_long_texts = st.builds(_long_text, st.integers(0, 2**32 - 1), st.integers(15, 40))


@st.composite
def prompts(draw: st.DrawFn) -> str:
    """A user prompt: short, and about one time in ten a long one (still cheap: under 1k tokens)."""
    return draw(_long_texts if draw(st.integers(0, 9)) == 9 else _short_texts)


@st.composite
def image_urls(draw: st.DrawFn) -> str:
    """Mostly data URIs of tiny real images; one time in four the public sample image URL."""
    return SAMPLE_IMAGE_URL if draw(st.integers(0, 3)) == 3 else draw(image_data_uris())


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "prompt": prompts(),
    "short-text": _short_texts,
    "system-prompt": st.sampled_from(_SYSTEM_PROMPTS),
    "json-system-prompt": st.sampled_from(_JSON_SYSTEM_PROMPTS),
    "reply": st.sampled_from(_REPLIES),
    "vision-prompt": st.sampled_from(_VISION_PROMPTS),
    "stop-sequence": st.sampled_from(_STOP_SEQUENCES),
    "user-id": st.integers(1, 99_999).map(lambda n: f"user-{n:05d}"),
    "image-url": image_urls(),
    "tool-call-id": st.from_regex(r"call_[A-Za-z0-9]{24}", fullmatch=True),
    "tool-result": st.sampled_from(_TOOL_RESULTS),
}
