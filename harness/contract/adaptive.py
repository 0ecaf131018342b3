"""The adaptive family: requests built from what the target answered before, for live endpoints whose
text the harness cannot know in advance, and the routes that say what the target serves.

1. a base answer to one deterministic chat request (temperature 0 and a seed);
2. its replay with a stop sequence taken from the base answer's text: it must end right there;
3. its replay with max_tokens under the base answer's token count: it must be cut ('length');
4. OpenAI: GET /models must list the model that answered, GET /models/{model} describe it;
   Databricks: the endpoint record (GET /api/2.0/serving-endpoints/{model}), then the base request
   through the served-models route of the entity the record names.
Each probe names the check that judges it (`context["check"]`); a probe that cannot be built (a base
answer too short to cut) or whose check finds nothing to judge (a replay that went another way) is
reported as not judged, with the reason, by the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.checks.databricks import served_entities
from harness.families import path_for
from harness.wire.exchange import Exchange, Request

BASE_BODY: dict[str, Any] = {
    "messages": [{"role": "user", "content": "Describe a lighthouse at night in four sentences."}],
    "temperature": 0,
    "seed": 7,
    "max_tokens": 64,
}
PROBES = 5  # the requests `probe` sends, as the family's progress counts them
DIVERGED = (
    "the replay is not the base answer's text (is the target deterministic at temperature 0 with a seed?)"
)
_WORD = re.compile(r"[A-Za-z]{4,}")

# Sends one probe: (exchange family, request, note, context) -> the exchange, judged later.
Send = Callable[[str, Request, str, dict[str, Any]], Exchange]


@dataclass
class Probed:
    """What the probes sent, and what they could not even build (check -> why)."""

    exchanges: list[Exchange] = field(default_factory=list)
    unjudged: dict[str, str] = field(default_factory=dict)


def endpoint_path(model: str) -> str:
    return f"/api/2.0/serving-endpoints/{model}"


def served_path(model: str, served: str) -> str:
    return f"/serving-endpoints/{model}/served-models/{served}/invocations"


def probe(api: str, model: str, send: Send, found: Probed) -> None:
    """Send every probe for `model`, in order, adding each exchange to `found` as soon as it came back
    (a stop mid-way keeps what was sent)."""

    def sent(family: str, request: Request, note: str, context: dict[str, Any]) -> Exchange:
        ex = send(family, request, note, context)
        found.exchanges.append(ex)
        return ex

    base = sent("chat", _chat(api, model, path_for("chat", api, model)), "adaptive: the base answer", {})
    text, tokens = _answer(base)
    _replays(api, model, text, tokens, sent, found)
    if api == "databricks":
        _endpoint(model, base, sent, found)
    else:
        # Optional routes: a 404 there is reported as not judged (vLLM and others serve no model record).
        context = {"check": "models.listed", "served": model if text is not None else None, "optional": True}
        sent("models", Request("GET", path_for("models", api, model)), "adaptive: the model list", context)
        path = path_for("models", api, model) + "/" + model
        sent(
            "model",
            Request("GET", path),
            "adaptive: the model record",
            {"check": "models.retrieve", "optional": True},
        )


def _chat(api: str, model: str, path: str, **extra: Any) -> Request:
    body = {**BASE_BODY, **extra}
    if not path.endswith("/invocations"):
        body = {"model": model, **body}  # Databricks' invocations route names the model in its path
    return Request("POST", path, body)


def _answer(ex: Exchange) -> tuple[str | None, int | None]:
    """The base answer's text and completion token count (None where it has none)."""
    doc = ex.response.json if 200 <= ex.response.status < 300 else None
    choices = doc.get("choices") if isinstance(doc, dict) else None
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    message = first.get("message") if isinstance(first.get("message"), dict) else {}
    text = message.get("content") if isinstance(message.get("content"), str) else None
    usage = doc.get("usage") if isinstance(doc, dict) else None
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return text, tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None


def stop_from(text: str) -> str | None:
    """A word of `text` to stop at: the first past its first third that occurs there for the first time."""
    words = [m for m in _WORD.finditer(text) if text.find(m.group()) == m.start() and m.start() > 0]
    later = [m for m in words if m.start() >= len(text) // 3]
    chosen = (later or words or [None])[0]
    return chosen.group() if chosen else None


def _replays(api: str, model: str, text: str | None, tokens: int | None, sent: Send, found: Probed) -> None:
    path = path_for("chat", api, model)
    stop = stop_from(text) if text else None
    if text is None:
        found.unjudged["adaptive.stop"] = found.unjudged["adaptive.length"] = "the base request got no answer"
        return
    if stop is None:
        found.unjudged["adaptive.stop"] = f"the base answer has no word to stop at ({text[:40]!r})"
    else:
        context = {"check": "adaptive.stop", "base_text": text, "stop": stop, "unjudged": DIVERGED}
        sent(
            "chat",
            _chat(api, model, path, stop=[stop]),
            f"adaptive: stop {stop!r} from the base answer",
            context,
        )
    if tokens is None or tokens < 2:
        found.unjudged["adaptive.length"] = (
            f"the base answer has {tokens} completion token(s): nothing to cut"
        )
        return
    limit = tokens // 2
    context = {"check": "adaptive.length", "base_text": text, "base_tokens": tokens, "unjudged": DIVERGED}
    note = f"adaptive: max_tokens {limit}, under the base answer's {tokens}"
    sent("chat", _chat(api, model, path, max_tokens=limit), note, context)


def _endpoint(model: str, base: Exchange, sent: Send, found: Probed) -> None:
    """The endpoint record, then the base request through the served-models route of its first entity."""
    context = {"check": "databricks.endpoint", "served": model}
    record = sent("endpoint", Request("GET", endpoint_path(model)), "adaptive: the endpoint record", context)
    served = served_entities(record.response.json if 200 <= record.response.status < 300 else None)
    if not served:
        found.unjudged["databricks.served_model"] = "the endpoint record names no served entity"
        return
    context = {
        "check": "databricks.served_model",
        "served": served[0],
        "endpoint_status": base.response.status,
    }
    note = f"adaptive: the served model {served[0]!r}"
    sent("chat", _chat("databricks", model, served_path(model, served[0])), note, context)
