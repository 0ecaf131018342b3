"""examples/github-actions.yml: valid YAML, the steps the CI story needs, and only real CLI options.

Each `servecheck ...` line is parsed with the real command's click parser, so a renamed or removed
option (or a wrong number of arguments) fails here rather than in someone's CI.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import typer
import yaml

from harness.cli import app
from harness.load.slo import parse_slos
from harness.paths import ROOT
from harness.schemadiff.sets import FAIL_ON

WORKFLOW = ROOT / "examples" / "github-actions.yml"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")  # ${{ ... }} is filled in by Actions before the shell runs


def _workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(job: str = "servecheck") -> list[dict[str, Any]]:
    return _workflow()["jobs"][job]["steps"]


def _command_lines() -> list[str]:
    lines = []
    for step in [step for job in _workflow()["jobs"] for step in _steps(job)]:
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("servecheck "):
                lines.append(EXPRESSION.sub("EXPR", line.strip()))
    return lines


def test_the_workflow_parses_and_has_the_ci_steps() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert {"pull_request", "push"} <= set(triggers)
    assert set(workflow["jobs"]) == {"schemas", "servecheck"}
    job = workflow["jobs"]["servecheck"]
    assert "${{ secrets.DATABRICKS_TOKEN }}" in job["env"]["DATABRICKS_TOKEN"]
    assert "${{ secrets.DATABRICKS_HOST }}" in job["env"]["DATABRICKS_HOST"]
    uses = {step["uses"].split("@")[0]: step for step in _steps() if "uses" in step}
    assert "actions/checkout" in uses
    assert uses["actions/setup-python"]["with"]["python-version"] == "3.11"
    runs = "\n".join(str(step.get("run", "")) for step in _steps())
    assert "pip install -e .[dev]" in runs
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == "junit.xml"
    uploads = [
        step["with"]["path"] for step in _steps() if step.get("uses", "").startswith("actions/upload-")
    ]
    assert any("contract-report.html" in path and "load-report.html" in path for path in uploads)
    words = [line.split()[:2] for line in _command_lines()]
    for expected in (["servecheck", "contract"], ["servecheck", "load"], ["servecheck", "report"]):
        assert expected in words
    assert ["servecheck", "diff"] in words and ["servecheck", "schemas"] in words


def test_a_pull_request_that_breaks_clients_fails_the_schemas_job() -> None:
    job = _workflow()["jobs"]["schemas"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["steps"][0]["with"]["fetch-depth"] == 0  # the base branch is read with git
    diffs = [str(step["run"]) for step in job["steps"] if "schemas diff" in str(step.get("run", ""))]
    assert len(diffs) == 2 and all("--fail-on breaking" in run for run in diffs)
    assert 'origin/${{ github.base_ref }}:openapi.yaml" openapi.yaml' in diffs[1]


# Typer bundles its own click, so commands are handled by what they offer, not by click's classes.
def _resolve(argv: list[str]) -> tuple[Any, list[str]]:
    """The click command a `servecheck` argv reaches, and the arguments left for it."""
    command = typer.main.get_command(app)
    while hasattr(command, "get_command") and argv and not argv[0].startswith("-"):
        sub = command.get_command(command.context_class(command), argv[0])
        if sub is None:
            pytest.skip(f"`{argv[0]}` is not a servecheck command yet (another part of issue 5 adds it)")
        command, argv = sub, argv[1:]
    return command, argv


@pytest.mark.parametrize("line", _command_lines())
def test_every_command_line_uses_real_options(line: str) -> None:
    command, args = _resolve(shlex.split(line)[1:])
    context = command.context_class(command)
    # The parser alone: unknown options and a wrong argument count fail; values are not converted
    # (paths in the workflow exist only on the runner).
    options, extra, _ = command.make_parser(context).parse_args(args=list(args))
    assert not extra, f"{line}: arguments nobody takes: {extra}"
    missing = [p.name for p in command.params if p.param_type_name == "argument" and p.name not in options]
    assert not missing, f"{line}: missing arguments {missing}"
    if "fail_on" in options and command.name == "diff" and "schemas" not in line:
        failon = pytest.importorskip("harness.diff.failon")
        failon.parse_fail_on(options["fail_on"])
    elif "fail_on" in options:  # schemas diff: breaking or any
        assert options["fail_on"] in FAIL_ON, line
    if "slo" in options:
        parse_slos(options["slo"])


def test_a_misspelt_option_is_caught() -> None:
    """The check above can fail: an option the command lacks is refused by its parser."""
    command, args = _resolve(["load", "--userz", "4"])
    with pytest.raises(Exception, match="No such option"):
        command.make_parser(command.context_class(command)).parse_args(args=args)


KUBERNETES = ROOT / "examples" / "kubernetes.yaml"


def test_the_kubernetes_example_runs_a_valid_master_and_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """examples/kubernetes.yaml: a master Deployment behind its Service and a worker Deployment, both
    serving (a Deployment restarts what ends); each container's `servecheck load` arguments go through
    the real parser and the load configuration's own validation (what the pod does before it sends
    anything). tests/test_load_serve.py runs the same roles on one machine."""
    from harness.load.options import LOAD_OPTIONS, LoadConfig
    from harness.options import config_values

    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-example")
    documents = list(yaml.safe_load_all(KUBERNETES.read_text()))
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {"servecheck-master", "servecheck-worker"}
    configs = {}
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        (container,) = spec["template"]["spec"]["containers"]
        assert "exec servecheck load" in " ".join(container["command"])
        command, args = _resolve(["load", *container["args"]])
        params = command.make_context("load", list(args)).params
        configs[name] = config = LoadConfig(**config_values(LOAD_OPTIONS, params))
        config.validate()
        assert config.serve, f"{name}: a Deployment's process must stay up between tests (--serve)"
        assert "DATABRICKS_TOKEN" in {e["name"] for e in container["env"]}
    master, worker = configs["servecheck-master"], configs["servecheck-worker"]
    assert master.role == "master" and worker.role == "worker"
    assert worker.master_port == master.master_port and worker.scenario == master.scenario
    assert deployments["servecheck-master"]["spec"]["replicas"] == 1
    assert deployments["servecheck-worker"]["spec"]["replicas"] == master.expect_workers
    (service,) = [d for d in documents if d["kind"] == "Service"]
    assert service["metadata"]["name"] == worker.master_host
    assert (
        service["spec"]["selector"].items()
        <= deployments["servecheck-master"]["spec"]["template"]["metadata"]["labels"].items()
    )
    assert [p["port"] for p in service["spec"]["ports"]] == [master.master_port]
    volumes = deployments["servecheck-master"]["spec"]["template"]["spec"]["volumes"]
    claims = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    assert {v["persistentVolumeClaim"]["claimName"] for v in volumes} <= claims
