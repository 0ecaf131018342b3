"""The clients family end to end: the real clients (openai, langchain-openai, MLflow Deployments,
databricks-sdk) through the loopback relay against the mock in each flavour; each clients.* check fails
on the mock defect that breaks its client; a client not installed is reported as not judged."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from mock_support import CAUGHT_THROUGH_CLIENTS
from test_contract_e2e import clean_env, contract, report

from harness.contract import clients
from mock_server.server import running_mock

EVERYWHERE = {"clients.openai", "clients.langchain_openai"}
DATABRICKS_ONLY = {"clients.mlflow", "clients.databricks_sdk"}


def clients_run(root: str, api: str, token: str, out: Path) -> tuple[int, str, dict]:
    base = root + "/v1" if api == "openai" else root
    code, output = contract(
        "--api", api, "--base-url", base, "--model", "mock-chat", "--families", "clients", "--out", str(out),
        env={**clean_env(), "OPENAI_API_KEY" if api == "openai" else "DATABRICKS_TOKEN": token},
    )  # fmt: skip
    assert token not in output and token not in (out / "contract.json").read_text()
    return code, output, report(out)["families"]["clients"]


def passed_clients(family: dict) -> set[str]:
    return {name for name, t in family["checks"].items() if name.startswith("clients.") and t["passed"]}


@pytest.mark.parametrize(
    ("api", "flavour"), [("openai", None), ("openai", "vllm"), ("openai", "databricks"), ("databricks", None)]
)
def test_every_client_reads_the_clean_mock(api: str, flavour: str | None, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    with running_mock(token=token, flavour=flavour) as root:
        code, output, family = clients_run(root, api, token, tmp_path)
    assert code == 0, output
    if api == "databricks":
        assert passed_clients(family) == EVERYWHERE | DATABRICKS_ONLY and family["unjudged"] == {}
        assert family["checks"]["clients.openai"]["passed"] == 5  # chat, stream, tools, parse, responses
    else:
        assert passed_clients(family) == EVERYWHERE
        assert set(family["unjudged"]) == DATABRICKS_ONLY
        assert all("--api databricks" in why for why in family["unjudged"].values())
    assert family["failures"] == [] and family["requests"] >= len(clients.CALLS) - 3


@pytest.mark.parametrize("defect", sorted(CAUGHT_THROUGH_CLIENTS))
def test_each_client_check_fails_on_what_breaks_its_client(defect: str, tmp_path: Path) -> None:
    api, check = CAUGHT_THROUGH_CLIENTS[defect]
    token = secrets.token_urlsafe(16)
    with running_mock(token=token, defects=[defect]) as root:
        code, output, family = clients_run(root, api, token, tmp_path)
    assert code == 1, output
    caught = next(f for f in family["failures"] if f["check"] == check)
    assert "could not read the answer" in caught["message"] and caught["curl"].startswith("curl ")
    if defect == "stream_keepalive":  # valid SSE: nothing but MLflow's parser objects
        assert {f["check"] for f in family["failures"]} == {check}, output


def test_a_client_not_installed_is_not_judged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(clients, "installed", lambda module: module != "langchain_openai")
    token = secrets.token_urlsafe(16)
    with running_mock(token=token) as root:
        code, output, family = clients_run(root, "openai", token, tmp_path)
    assert code == 0, output
    why = family["unjudged"]["clients.langchain_openai"]
    assert "not installed" in why and "servecheck[clients]" in why
    assert passed_clients(family) == {"clients.openai"}
    assert "NOT JUDGED clients / clients.langchain_openai" in output


def test_the_pytest_plugin_says_what_it_did_not_judge(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    env = {**os.environ, **clean_env(), "OPENAI_API_KEY": token}
    with running_mock(token=token) as root:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
             "--rootdir", str(tmp_path), "--servecheck-base-url", root + "/v1",
             "--servecheck-model", "mock-chat", "--servecheck-families", "clients", str(tmp_path)],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not judged: MLflow Deployments queries Databricks serving endpoints" in done.stdout
    assert "2 skipped" in done.stdout and token not in done.stdout
