"""Schemathesis fuzzes the mock's HTTP surface from the OpenAPI document the mock serves.

Run by tests/test_mock_fuzz.py in a pytest of its own (the file name keeps the main suite from
collecting it), so that one process sees every request the module sends.

Every operation gets schema-valid requests (positive mode), requests that break the schema (negative
mode) and Schemathesis's coverage phase (boundary values, missing and wrong-typed fields, unexpected
methods). The mock must never answer 5xx, every 4xx must carry the OpenAI error envelope, and every
2xx (each streamed event included) must conform to its documented schema. The number of requests
tried is printed at the end of the module (`schemathesis: N requests sent to the mock`).

The schema is built with `openapi_document` (what the default mock serves at /openapi.json; the
first test proves the served document is this one) rather than loaded from the URL, so that
collection needs no running server.

Schemathesis's `positive_data_acceptance` is left out: the mock rightly answers 400 to some
schema-valid requests whose fault JSON Schema cannot express (a `tool_choice` naming an undeclared
function, `dimensions` beyond the model's, a chat body sent to an embedding endpoint).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from harness.wire.envelopes import envelope_problems
from mock_server.openapi import openapi_document
from mock_server.profile import Profile
from mock_server.server import running_mock

EXAMPLES = 60  # per operation and mode in the fuzzing phase; the coverage phase adds its own cases
MIN_TRIED = 1000  # fewer than this means the fuzzer did not really run

DOCUMENT = openapi_document(Profile(), token_required=False)  # what the default mock serves
# The OpenAI-style routes under /serving-endpoints and the served-models route run the same handlers as
# /v1 and the invocations route, in the Databricks flavour (tests/test_mock_flavours.py): fuzzing them
# again would double the time for no new code.
SAME_HANDLERS = (
    r"^/serving-endpoints/((chat/completions|completions|embeddings|responses|models)|\{name\}/served-models)"
)
api = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex=SAME_HANDLERS)
api.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES)


@pytest.fixture(scope="module")
def tried(request: pytest.FixtureRequest) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    total = sum(counts.values())
    line = f"schemathesis: {total} requests sent to the mock ({dict(sorted(counts.items()))})"
    with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        print(f"\n{line}")
    assert total >= MIN_TRIED, line


def test_the_fuzzed_document_is_the_served_one(mock_url: str) -> None:
    assert httpx.get(f"{mock_url}/openapi.json").json() == DOCUMENT


def test_a_mock_with_a_token_documents_bearer_auth_and_serves_the_document_openly() -> None:
    with running_mock(token="fuzz-token") as url:
        document = httpx.get(f"{url}/openapi.json").json()
    assert document["paths"]["/v1/models"]["get"]["security"] == [{"bearer": []}]
    assert document["paths"]["/serving-endpoints/{name}/invocations"]["post"]["security"] == [
        {"bearer": []},
        {"basic": []},
    ]
    assert document["paths"]["/health"]["get"]["security"] == []
    assert "security" not in DOCUMENT


def error_envelope(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """A Schemathesis check: every 4xx carries an error envelope with a message (the document says
    which one: OpenAI's on /v1, Databricks' on its routes, and the conformance check holds it to that)."""
    if 400 <= response.status_code < 500:
        api = "openai" if case.path.startswith("/v1") else "databricks"
        problems = envelope_problems(response.json(), api)
        assert not problems, f"{response.status_code} without an error envelope: {problems[0]}"


CHECKS = {"additional_checks": [error_envelope], "excluded_checks": [positive_data_acceptance]}


@api.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_mock_survives_fuzzing(case: schemathesis.Case, mock_url: str, tried: Counter[str]) -> None:
    case.call_and_validate(base_url=mock_url, timeout=10, **CHECKS)
    tried[f"{case.meta.phase.name.value}/{case.meta.generation.mode.value}" if case.meta else "explicit"] += 1


@pytest.mark.parametrize(
    ("defect", "body", "failure"),
    [
        ("created_string", {}, "Response violates schema"),
        ("created_string", {"stream": True}, "SSE event violates schema"),
        (
            "server_error_on_unicode",
            {"messages": [{"role": "user", "content": "h\u00e9llo"}]},
            "Server error",
        ),
        ("error_envelope_bare", {"temperature": 9}, "without an error envelope"),
    ],
)
def test_the_checks_catch_a_broken_mock(defect: str, body: dict[str, object], failure: str) -> None:
    case = api["/v1/chat/completions"]["POST"].Case(
        body={"model": "mock-chat", "messages": [{"role": "user", "content": "hi"}], **body},
        media_type="application/json",
    )
    with running_mock(defects=[defect]) as url, pytest.raises(BaseExceptionGroup) as caught:
        case.call_and_validate(base_url=url, timeout=10, **CHECKS)
    assert failure in str(caught.value)
