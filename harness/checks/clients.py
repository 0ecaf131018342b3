"""The client matrix: did each real client read the target's answer (harness/contract/clients.py)?

One check per client. It judges the last request a client call sent, once the call is over: the
client raised (its own exception is the message), or it read other text than the answer holds.
A non-2xx answer is not the client's fault to read: transport.status and its peers judge that.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.base import CheckFailed, check
from harness.checks.views import answered, chat_completion, choices, output_text
from harness.wire.exchange import Exchange


@dataclass(frozen=True)
class Client:
    label: str  # as its users name it
    module: str  # the import that says it is installed
    breaks: str


CLIENTS = {
    "clients.openai": Client(
        "the openai SDK", "openai", "every application on the openai SDK (and the tools built on it)"
    ),
    "clients.langchain_openai": Client(
        "langchain-openai", "langchain_openai", "LangChain chains and agents on ChatOpenAI"
    ),
    "clients.mlflow": Client(
        "MLflow Deployments", "mlflow", "MLflow Deployments' predict and predict_stream users"
    ),
    "clients.databricks_sdk": Client(
        "databricks-sdk", "databricks.sdk", "databricks-sdk's serving_endpoints.query users and jobs"
    ),
}


def _register(name: str, client: Client) -> None:
    @check(
        name,
        f"{client.label} reads the target's answer to what it sends: no exception, the same text"
        " (`--families clients`)",
        applies=lambda ex: ex.context.get("check") == name and answered(ex),
        level="compat",
        why=(
            f"A valid answer can still break the parser of {client.label} (a keep-alive comment, a field"
            " it validates, a content type it does not expect); only running it tells."
        ),
        breaks=client.breaks,
    )
    def read(ex: Exchange) -> None:
        raised = ex.context.get("raised")
        if raised:
            raise CheckFailed(f"{client.label} could not read the answer: {raised}")
        said, got = _text(ex), ex.context.get("read")
        if isinstance(got, str) and said is not None and got != said:
            raise CheckFailed(f"{client.label} read {got[:80]!r}, the answer holds {said[:80]!r}")


def _text(ex: Exchange) -> str | None:
    """The text of the answer's first choice as the harness reads it (None: not a chat answer)."""
    doc = chat_completion(ex)
    found = choices(doc) if doc else []
    if not found:
        return None
    return output_text(ex, found[0][1])


for _name, _client in CLIENTS.items():
    _register(_name, _client)
