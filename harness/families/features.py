"""Optional request features: parameters a server may cleanly decline without breaking the contract.

A server that answers a request using one of these with a 4xx whose error envelope names the
parameter has said "not supported here" (harness.wire.envelopes.declined_feature): the contract
reports the feature UNSUPPORTED rather than failing (`--require FEATURE` makes it a failure
again). A 5xx, a 2xx that ignores the parameter, or a 4xx without a well-formed envelope stays
a failure. The mock declines them with `--decline`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _has_image(body: dict[str, Any]) -> bool:
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else ():
            if isinstance(part, dict) and part.get("type") == "image_url":
                return True
    return False


@dataclass(frozen=True)
class Feature:
    params: tuple[str, ...]  # the request parameters that ask for it; the first is the one named
    used: Callable[[dict[str, Any]], bool]  # whether a request body asks for it


FEATURES: dict[str, Feature] = {
    "logprobs": Feature(("logprobs", "top_logprobs"), lambda b: bool(b.get("logprobs"))),
    "n": Feature(("n",), lambda b: isinstance(b.get("n"), int | float) and b["n"] > 1),
    "tools": Feature(("tools", "tool_choice", "parallel_tool_calls"), lambda b: bool(b.get("tools"))),
    "vision": Feature(("image_url", "image"), _has_image),
    "response_format": Feature(("response_format",), lambda b: "response_format" in b),
    "reasoning": Feature(("reasoning_effort", "reasoning"), lambda b: "reasoning_effort" in b),
}


def used_features(body: Any) -> list[str]:
    """The optional features a request body asks for, in FEATURES order."""
    if not isinstance(body, dict):
        return []
    return [name for name, feature in FEATURES.items() if feature.used(body)]
