"""The contract run's files, written by the RunFiles handler when the run finishes: contract.json and
JUnit carry counts, failures and no secret."""

import xml.etree.ElementTree as ET

import orjson

from harness.contract.events import RunFinished
from harness.contract.results import ContractResult, Failure, FamilyResult
from harness.report.run_files import RunFiles

SECRET = "sk-test-SECRET-0123456789"


def sample_result() -> ContractResult:
    result = ContractResult(
        target={"base_url": "http://127.0.0.1:1/v1", "api": "openai"}, seed=7, schemas="abc"
    )
    chat = result.families["chat"] = FamilyResult("chat", requests=3)
    chat.tally("schema.response").passed = 3
    usage = chat.tally("chat.usage_total")
    usage.passed, usage.failed = 1, 2
    chat.failures.append(
        Failure(
            check="chat.usage_total",
            family="chat",
            message="usage.total_tokens is 9, prompt + completion is 8",
            path="$.usage.total_tokens",
            request={"method": "POST", "path": "/chat/completions", "body": {"model": "m"}},
            response={"status": 200, "content_type": "application/json", "excerpt": f"echo {SECRET}"},
            curl="curl -X POST ... -H 'Authorization: Bearer $OPENAI_API_KEY'",
        )
    )
    chat.status = "failed"
    result.families["embeddings"] = FamilyResult("embeddings")
    result.families["embeddings"].skip("no model given (--embedding-model)")
    return result


def test_contract_json_counts_failures_and_redacts(tmp_path):
    RunFiles(tmp_path, [SECRET]).handle(RunFinished(sample_result()))
    text = (tmp_path / "contract.json").read_text()
    assert SECRET not in text
    data = orjson.loads(text)
    assert data["verdict"] == "failed"
    assert data["totals"] == {
        "passed": 1,
        "failed": 1,
        "warned": 0,
        "evaluations": 6,
        "failure_groups": 1,
        "known_groups": 0,
        "warning_groups": 0,
        "unsupported": [],
        "families_skipped": 1,
    }
    assert data["families"]["chat"]["checks"]["chat.usage_total"] == {"passed": 1, "failed": 2, "warned": 0}
    assert data["families"]["chat"]["failures"][0]["path"] == "$.usage.total_tokens"
    assert data["families"]["embeddings"]["status"] == "skipped"


def test_junit_has_a_case_per_check_or_failure_group_and_a_skipped_family(tmp_path):
    also = tmp_path / "ci" / "results.xml"  # --junit
    RunFiles(tmp_path / "run", [SECRET], junit=also).handle(RunFinished(sample_result()))
    assert (tmp_path / "run" / "junit.xml").read_bytes() == also.read_bytes()
    assert SECRET not in also.read_text()
    root = ET.parse(also).getroot()
    chat = root.find("testsuite[@name='chat']")
    assert chat.get("tests") == "2" and chat.get("failures") == "1"
    (case,) = [c for c in chat.findall("testcase") if c.get("name").startswith("chat.usage_total ")]
    failure = case.find("failure")
    assert "$.usage.total_tokens" in failure.get("message")
    assert "OPENAI_API_KEY" in failure.text
    assert root.find("testsuite[@name='embeddings']/testcase/skipped").get("message").startswith("no model")
