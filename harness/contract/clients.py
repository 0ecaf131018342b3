"""The clients family: the target's real answers through the real clients' parsers.

Each call below is what a team writes with one client (the openai SDK, langchain-openai, MLflow
Deployments, databricks-sdk), pointed at a loopback relay (relay.py) that forwards to the target. The
client's request is judged like any other (every check that applies), and its `clients.*` check says
whether the client read the answer: ok, or FAIL with the client's own exception, or the text it read
when that differs from what the answer holds. A client that is not installed, or does not speak the
run's --api, is reported as not judged with the reason (`pip install 'servecheck[clients]'`).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harness.checks.clients import CLIENTS
from harness.checks.views import shorten
from harness.contract.relay import Relay
from harness.wire.exchange import Exchange, Request, Response

PLACEHOLDER_TOKEN = "servecheck-relay"  # what clients send the relay; the relay sends the real token
PROMPT = "Name three colours."
MAX_TOKENS = 16
INSTALL = "pip install 'servecheck[clients]'"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@dataclass(frozen=True)
class Where:
    """Where a client call goes: the relay's root, the run's api and model, the run's timeout."""

    root: str
    api: str
    model: str
    timeout: float

    @property
    def openai_base(self) -> str:
        """The openai SDK's base URL: the target's own, or {host}/serving-endpoints on Databricks."""
        return self.root + ("/serving-endpoints" if self.api == "databricks" else "")


@dataclass(frozen=True)
class Call:
    check: str  # the clients.* check that judges it (checks/clients.py)
    name: str  # what the user calls, e.g. "chat.completions.parse"
    family: str  # the contract family its request belongs to, for the other checks
    run: Callable[[Where], str | None]  # the text the client read (None: nothing to compare); raises
    apis: tuple[str, ...] = ("openai", "databricks")

    @property
    def subject(self) -> str:
        return f"{self.check} ({self.name})"


# --- the calls --------------------------------------------------------------------------------------


def _openai(where: Where) -> Any:
    import openai

    return openai.OpenAI(
        base_url=where.openai_base, api_key=PLACEHOLDER_TOKEN, max_retries=0, timeout=where.timeout
    )


def _messages() -> list[dict[str, Any]]:
    return [{"role": "user", "content": PROMPT}]


def _openai_chat(where: Where) -> str | None:
    answer = _openai(where).chat.completions.create(
        model=where.model, messages=_messages(), max_tokens=MAX_TOKENS
    )
    return answer.choices[0].message.content


def _openai_stream(where: Where) -> str | None:
    stream = _openai(where).chat.completions.create(
        model=where.model, messages=_messages(), max_tokens=MAX_TOKENS, stream=True
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def _openai_tools(where: Where) -> str | None:
    answer = _openai(where).chat.completions.create(
        model=where.model,
        messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER],
        tool_choice="required",
        max_tokens=64,
    )
    for call in answer.choices[0].message.tool_calls or []:
        call.function.arguments  # noqa: B018 - read as a user would
    return None


def _openai_parse(where: Where) -> str | None:
    from pydantic import BaseModel

    class Colours(BaseModel):
        colours: list[str]

    # parse() validates the content against the model: invalid JSON raises, as in a user's code
    _openai(where).chat.completions.parse(
        model=where.model, messages=_messages(), response_format=Colours, max_tokens=64
    )
    return None


def _openai_responses(where: Where) -> str | None:
    answer = _openai(where).responses.create(model=where.model, input=PROMPT, max_output_tokens=MAX_TOKENS)
    return answer.output_text


def _langchain(where: Where) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=where.model,
        base_url=where.openai_base,
        api_key=PLACEHOLDER_TOKEN,
        max_retries=0,
        timeout=where.timeout,
        max_tokens=MAX_TOKENS,
    )


def _langchain_invoke(where: Where) -> str | None:
    content = _langchain(where).invoke(PROMPT).content
    return content if isinstance(content, str) else None


def _langchain_stream(where: Where) -> str | None:
    pieces = [chunk.content for chunk in _langchain(where).stream(PROMPT)]
    return "".join(p for p in pieces if isinstance(p, str))


@contextmanager
def _databricks_env(where: Where) -> Iterator[None]:
    """MLflow reads its workspace from the environment: the relay's, for the call, then restored."""
    names = {
        "DATABRICKS_HOST": where.root,
        "DATABRICKS_TOKEN": PLACEHOLDER_TOKEN,
        "DATABRICKS_CONFIG_FILE": os.devnull,  # no ~/.databrickscfg profile
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # the relay's policy retries, once
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, round(where.timeout))),
    }
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _mlflow_inputs() -> dict[str, Any]:
    return {"messages": _messages(), "max_tokens": MAX_TOKENS}


def _mlflow_predict(where: Where) -> str | None:
    from mlflow.deployments import get_deploy_client

    with _databricks_env(where):
        answer = get_deploy_client("databricks").predict(endpoint=where.model, inputs=_mlflow_inputs())
    content = answer["choices"][0]["message"]["content"]
    return content if isinstance(content, str) else None


def _mlflow_predict_stream(where: Where) -> str | None:
    from mlflow.deployments import get_deploy_client

    with _databricks_env(where):
        chunks = list(
            get_deploy_client("databricks").predict_stream(endpoint=where.model, inputs=_mlflow_inputs())
        )
    texts = [(c.get("choices") or [{}])[0].get("delta", {}).get("content") for c in chunks]
    return "".join(t for t in texts if isinstance(t, str))


def _sdk_query(where: Where) -> str | None:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.service.serving import ChatMessage, ChatMessageRole

    seconds = max(1, round(where.timeout))
    config = Config(
        host=where.root,
        token=PLACEHOLDER_TOKEN,
        auth_type="pat",
        config_file=os.devnull,
        http_timeout_seconds=seconds,
        retry_timeout_seconds=seconds,  # the relay's policy retries, once
    )
    client = WorkspaceClient(config=config)
    answer = client.serving_endpoints.query(
        name=where.model,
        messages=[ChatMessage(role=ChatMessageRole.USER, content=PROMPT)],
        max_tokens=MAX_TOKENS,
    )
    content = answer.choices[0].message.content
    return content if isinstance(content, str) else None


DATABRICKS_ONLY = ("databricks",)
CALLS: tuple[Call, ...] = (
    Call("clients.openai", "chat.completions.create", "chat", _openai_chat),
    Call("clients.openai", "chat.completions.create(stream=True)", "stream", _openai_stream),
    Call("clients.openai", "chat.completions.create(tools=...)", "tools", _openai_tools),
    Call("clients.openai", "chat.completions.parse", "structured", _openai_parse),
    Call("clients.openai", "responses.create", "responses", _openai_responses),
    Call("clients.langchain_openai", "ChatOpenAI.invoke", "chat", _langchain_invoke),
    Call("clients.langchain_openai", "ChatOpenAI.stream", "stream", _langchain_stream),
    Call("clients.mlflow", "predict", "chat", _mlflow_predict, DATABRICKS_ONLY),
    Call("clients.mlflow", "predict_stream", "stream", _mlflow_predict_stream, DATABRICKS_ONLY),
    # query(stream=True) is broken upstream (databricks-sdk-py#1048): not called
    Call("clients.databricks_sdk", "serving_endpoints.query", "chat", _sdk_query, DATABRICKS_ONLY),
)


def installed(module: str) -> bool:
    """Whether `module` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package that is not there
        return False


def planned(api: str) -> int:
    """How many calls a run on `api` makes, for its progress bar."""
    return sum(api in call.apis for call in CALLS)


# --- running them -----------------------------------------------------------------------------------


def run_calls(
    api: str,
    model: str,
    timeout: float,
    forward: Callable[[Request], Response],
    judge: Callable[[Exchange], None],
    unjudged: dict[str, str],
) -> None:
    """Make every call through a relay to `forward`, handing each request the client sent to `judge`
    (the last one carrying the client's outcome); what could not be judged goes to `unjudged`."""
    absent = {c.check for c in CALLS if not installed(CLIENTS[c.check].module)}
    with Relay(forward) as relay:
        where = Where(relay.url, api, model, timeout)
        for call in CALLS:
            if call.check in absent:
                unjudged[call.check] = f"{CLIENTS[call.check].label} is not installed ({INSTALL})"
            elif api not in call.apis:
                label = CLIENTS[call.check].label
                unjudged[call.check] = (
                    f"{label} queries Databricks serving endpoints: run with --api databricks"
                )
            else:
                _make(call, where, relay, judge, unjudged)


def _make(
    call: Call, where: Where, relay: Relay, judge: Callable[[Exchange], None], unjudged: dict[str, str]
) -> None:
    first = len(relay.seen)
    read: str | None = None
    raised: str | None = None
    try:
        read = call.run(where)
    except Exception as exc:  # the client's own exception is the finding
        raised = _described(exc, relay.url)
    if relay.stopped is not None:
        raise relay.stopped
    sent = [(req, resp) for req, resp in relay.seen[first:] if req.body is not None]
    if not sent:
        why = raised or "it returned without a request"
        unjudged[call.subject] = f"the client sent no request the target answered: {why}"
        return
    label = f"{CLIENTS[call.check].label}: {call.name}"
    for position, (request, response) in enumerate(sent, 1):
        last = position == len(sent)
        context = (
            {"check": call.check, "subject": call.subject, "raised": raised, "read": read} if last else {}
        )
        judge(Exchange(call.family, request, response, "success", where.api, label, context))


def _described(exc: BaseException, relay_url: str) -> str:
    """The client's exception as its users see it, without the relay's port (which changes per run)."""
    kind = f"{type(exc).__module__.split('.')[0]}.{type(exc).__name__}"
    return shorten(f"{kind}: {exc}".replace(relay_url, "<target>"), 400)
