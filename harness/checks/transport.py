"""Transport checks: did a complete HTTP response arrive, with the status class, media type and syntax due."""

from __future__ import annotations

from harness.checks.base import CheckFailed, check
from harness.checks.views import describe_status, event_path, shorten
from harness.wire.exchange import Exchange
from harness.wire.limits import LIMIT, NOT_JSON, bounded_json
from harness.wire.streams import DONE


def _has_contract_body(ex: Exchange) -> bool:
    """A 2xx or 4xx answer with a body: one the contract says is JSON (or SSE)."""
    return bool(ex.response.body) and ex.response.status // 100 in (2, 4)


@check(
    "transport.status",
    "a valid request gets a complete 2xx response",
    applies=lambda ex: ex.expect == "success",
    level="spec",
    why="The API reference answers every valid request with 200; anything else means the request was lost.",
    breaks=(
        "every client: the openai SDK raises APIStatusError, MLflow and databricks-sdk raise, LangChain "
        "retries then fails"
    ),
)
def status(ex: Exchange) -> None:
    response = ex.response
    if response.error or not 200 <= response.status < 300:
        raise CheckFailed(f"expected a complete 2xx response, got {describe_status(response)}")


@check(
    "transport.content_type",
    "Content-Type is text/event-stream for a 2xx stream, application/json otherwise",
    applies=_has_contract_body,
    level="spec",
    why="Clients pick their parser from Content-Type: SSE for streams, JSON otherwise.",
    breaks=(
        "the openai SDK's stream reader (it parses only text/event-stream), httpx-based clients that call"
        " .json(), LiteLLM"
    ),
)
def content_type(ex: Exchange) -> None:
    stream = ex.request.stream and 200 <= ex.response.status < 300
    expected = "text/event-stream" if stream else "application/json"
    got = ex.response.content_type
    if got != expected:
        raise CheckFailed(f"expected Content-Type {expected}, got {got or 'none'}", "$")


@check(
    "transport.body_parses",
    "the JSON body parses; every SSE event's data but [DONE] parses as JSON",
    applies=_has_contract_body,
    level="spec",
    why="A body or event that is not JSON cannot be read at all.",
    breaks=(
        "every client: json.loads raises in the openai SDK, MLflow predict/predict_stream, "
        "databricks-sdk, LangChain"
    ),
)
def body_parses(ex: Exchange) -> None:
    # Past a JSON limit the body is not parsed at all: transport.status reports the limit.
    if ex.response.events is None:
        if ex.response.json is not None:
            return  # the client parsed it
        _, problem = bounded_json(ex.response.body)
        if problem and not problem.startswith(LIMIT):
            raise CheckFailed(
                f"expected a JSON body, got one that does not parse: {problem.removeprefix(NOT_JSON)}"
            )
        return
    for i, event in enumerate(ex.response.events):
        if event.data == DONE:
            continue
        _, problem = event.json()
        if problem and not problem.startswith(LIMIT):
            raise CheckFailed(f"expected JSON event data, got {shorten(event.data)!r}", event_path(i))
