"""What counts as a well-formed error envelope: which schemas a target's error bodies may follow.

An OpenAI-compatible target answers errors with {"error": {"message", "type", "param", "code"}}
(schema "error"); a Databricks target may instead answer with its native {"error_code", "message"}
(schema "databricks_error"). Beyond the shape, the message must say something.
"""

from __future__ import annotations

import re
from typing import Any

from harness.families.features import FEATURES, used_features
from harness.schemas.registry import SchemaError, registry
from harness.wire.limits import MAX_ERRORS

# Schema name -> where its human-readable message lives.
ENVELOPES = {"error": ("error", "message"), "databricks_error": ("message",)}


def envelope_schemas(api: str) -> list[str]:
    """The envelope schemas a target speaking `api` may use, the OpenAI one first."""
    return ["error", "databricks_error"] if api == "databricks" else ["error"]


def envelope_problems(body: Any, api: str) -> list[SchemaError]:
    """Why `body` is not a well-formed error envelope for `api`: empty when it is one.

    When no envelope fits, the problems reported are those against the OpenAI envelope.
    """
    first: list[SchemaError] = []
    for name in envelope_schemas(api):
        problems = registry().some_errors(name, body, MAX_ERRORS)[0] or _blank_message(name, body)
        if not problems:
            return []
        first = first or problems
    return first


def _blank_message(name: str, body: Any) -> list[SchemaError]:
    keys = ENVELOPES[name]
    value = body
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, str) and not value.strip():
        return [SchemaError("$." + ".".join(keys), "the error message is empty")]
    return []


def envelope_message(body: Any) -> str:
    """The message of an OpenAI (`error.message`) or Databricks (`message`) error body; "" if none."""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else body.get("message")
    return message if isinstance(message, str) else ""


DECLINING = (400, 422)  # what a server answers a parameter it does not take with


def _names(text: str, param: str) -> bool:
    # A one-letter parameter ("n") counts only quoted; longer ones as a whole word.
    quoted = re.search(rf"[`'\"]{re.escape(param)}[`'\"]", text)
    return bool(quoted) or (len(param) > 1 and re.search(rf"\b{re.escape(param)}\b", text) is not None)


def declined_feature(body: Any, status: int, answer: Any, api: str) -> str | None:
    """The feature a clean refusal declines: `status` is a 4xx of DECLINING, `answer` a well-formed
    error envelope whose `param` (or message) names a parameter of a feature the request used."""
    if status not in DECLINING or envelope_problems(answer, api):
        return None
    error = answer.get("error") if isinstance(answer.get("error"), dict) else answer
    param = set(re.split(r"[.\[\]]+", str(error.get("param") or "")))  # "messages[0].content[1].image_url"
    message = envelope_message(answer)
    for name in used_features(body):
        for wanted in FEATURES[name].params:
            if wanted in param or _names(message, wanted):
                return name
    return None
