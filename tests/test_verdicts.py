"""Verdicts a CI can trust: each false green once seen is a test here, against real servers on loopback
(nothing listening, Python's http.server, the mock with an unknown model, a base URL without /v1,
a mock whose every answer is a 503), plus the error budget, levels, unsupported features, failure
groups and baselines.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from test_contract_e2e import clean_env, contract, report
from test_load_run import results, servecheck_load
from typer.testing import CliRunner

from harness.cli import app
from harness.contract.engine import SHRUNK_GROUPS
from harness.load.backoff import BACKOFF_MAX_S, BACKOFF_MIN_S, Backoff
from mock_server.profile import Profile
from mock_server.server import running_mock

pytestmark = pytest.mark.timeout(90)
ALL_503 = "faults:\n  errors: {503: 1.0}\n"
SOME_503 = "faults:\n  errors: {503: 0.3}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def static_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python3 -m http.server`: it answers GET with files (404 here) and POST with 501."""
    root = tmp_path_factory.mktemp("static")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def mock_root() -> Iterator[str]:
    with running_mock() as root:
        yield root


def servecheck(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=clean_env())
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# -- no verdict without evidence: load --------------------------------------------------------------


def test_load_against_nothing_listening_exits_2_before_any_load(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = servecheck_load(out, "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--duration", "2s")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("servecheck load: error: nothing answers at")
    assert not (out / "load.json").exists() and not (out / "locust.log").exists()  # Locust never ran


@pytest.mark.parametrize(
    ("where", "args", "message"),
    [
        ("mock", ["--model", "no-such-model"], "model 'no-such-model' is not served"),
        ("mock-root", [], "hint: an OpenAI base URL usually ends in /v1"),
        ("static", ["--model", "m"], "not an OpenAI-compatible server: POST /chat/completions answered 501"),
    ],
    ids=["unknown-model", "no-v1", "http.server"],
)
def test_load_against_an_untestable_target_exits_2_with_a_hint(
    tmp_path: Path, mock_root: str, static_server: str, where: str, args: list[str], message: str
) -> None:
    base = {"mock": mock_root + "/v1", "mock-root": mock_root, "static": static_server + "/v1"}[where]
    done = servecheck_load(tmp_path / "run", "--base-url", base, "--duration", "2s", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "load.json").exists()


def test_a_run_where_no_request_succeeds_fails(tmp_path: Path) -> None:
    from test_load_run import start_mock

    proc, root = start_mock(tmp_path, ALL_503)
    try:
        out = tmp_path / "run"
        done = servecheck_load(out, "--base-url", root + "/v1", "--model", "mock-chat", "--duration", "2s")
    finally:
        proc.kill()
        proc.wait()
    assert done.returncode == 1, done.stdout + done.stderr
    run = results(out)
    assert run["requests"] > 0 and run["successful"] == 0 and run["rps"] == 0
    assert run["verdict"] == "failed" and run["slo_passed"] is None
    assert run["verdict_reasons"][0].startswith("no request succeeded")
    assert "FAILED: no request succeeded" in done.stdout
    report_code, _ = servecheck("report", str(out), "--format", "md", "--output", str(tmp_path / "r.md"))
    markdown = (tmp_path / "r.md").read_text()
    assert report_code == 0 and "❌ servecheck: FAIL" in markdown and "no SLOs set" in markdown
    html = servecheck("report", str(out))
    assert html[0] == 0
    page = (out / "report.html").read_text()
    assert 'id="verdict">FAIL<' in page and "no request succeeded" in page


@pytest.mark.slow
def test_the_error_budget_decides_and_is_recorded(tmp_path: Path) -> None:
    from test_load_run import start_mock

    proc, root = start_mock(tmp_path, SOME_503)
    try:
        strict, lenient = tmp_path / "strict", tmp_path / "lenient"
        base = ["--base-url", root + "/v1", "--model", "mock-chat", "--duration", "2s", "--scenario", "chat"]
        failed = servecheck_load(strict, *base)
        passed = servecheck_load(lenient, *base, "--max-error-rate", "60%")
    finally:
        proc.kill()
        proc.wait()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    run = results(strict)
    assert run["error_budget"] == {"max_error_rate": 0.05, "error_rate": run["error_rate"], "passed": False}
    assert 0.1 < run["error_rate"] < 0.5 and "over the error budget" in run["verdict_reasons"][0]
    assert run["rps"] == pytest.approx(run["successful"] / run["elapsed_s"])  # successful only
    assert run["attempted_rps"] > run["rps"]
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert results(lenient)["config"]["max_error_rate"] == 0.6


def test_a_bad_error_budget_is_a_usage_error(tmp_path: Path) -> None:
    done = servecheck_load(tmp_path / "run", "--max-error-rate", "lots", "--duration", "1s")
    assert done.returncode == 2 and "--max-error-rate 'lots'" in done.stderr


def test_connection_errors_back_off_doubling_bounded_and_reset() -> None:
    backoff = Backoff(random.Random(0))
    waits = [backoff.after("connection") for _ in range(8)]
    assert BACKOFF_MIN_S / 2 <= waits[0] <= BACKOFF_MIN_S and max(waits) <= BACKOFF_MAX_S
    assert sum(waits) > 3  # 8 failed tries in a row take seconds, not microseconds
    assert backoff.after(None) == 0.0 and backoff.after("http_503") == 0.0
    assert backoff.after("connection") <= BACKOFF_MIN_S  # an answer reset the wait


@pytest.mark.slow
def test_diff_counts_only_successful_requests_and_warns_on_other_settings(tmp_path: Path) -> None:
    from test_load_run import start_mock

    healthy, broken = tmp_path / "healthy", tmp_path / "broken"
    with running_mock() as root:
        args = ["--base-url", root + "/v1", "--model", "mock-chat", "--duration", "3s", "--scenario", "chat"]
        assert servecheck_load(healthy, *args).returncode == 0
    proc, root = start_mock(tmp_path, ALL_503)
    try:
        args = ["--base-url", root + "/v1", "--model", "mock-chat", "--duration", "3s", "--scenario", "chat"]
        assert servecheck_load(broken, *args, "--users", "2").returncode == 1
    finally:
        proc.kill()
        proc.wait()
    out = tmp_path / "diff.json"
    code, output = servecheck(
        "diff", str(healthy), str(broken), "--fail-on", "throughput:-10%", "--json", str(out)
    )
    assert code == 1, output
    doc = json.loads(out.read_text())
    throughput = next(row for row in doc["load"] if row["metric"] == "throughput")
    assert throughput["verdict"] == "regression" and throughput["change"]["mean"] == -1.0
    assert any("the runs differ in users: 4 -> 2" in note for note in doc["notes"]), doc["notes"]


# -- no verdict without evidence: contract ----------------------------------------------------------


def test_contract_without_a_model_discovers_the_targets_models(tmp_path: Path) -> None:
    models = "models:\n  - {name: acme-chat, kind: chat}\n  - {name: acme-embed, kind: embedding}\n"
    (tmp_path / "p.yaml").write_text(models)
    with running_mock(profile=tmp_path / "p.yaml") as root:
        code, output = contract(
            "--base-url", root + "/v1", "--families", "chat,embeddings", "--examples", "2",
            "--out", str(tmp_path / "run"), env=clean_env(),
        )  # fmt: skip
    assert code == 0, output
    assert "models discovered from the target's list: chat acme-chat, embeddings acme-embed" in output
    data = report(tmp_path / "run")
    assert data["target"]["models"] == {"chat": "acme-chat", "embedding": "acme-embed", "reasoning": None}
    assert "mock-chat" not in (tmp_path / "run" / "contract.json").read_text()  # never the mock's names


@pytest.mark.parametrize(
    ("where", "args", "message"),
    [
        ("nothing", [], "nothing answers at"),
        ("mock-root", ["--model", "mock-chat"], "hint: an OpenAI base URL usually ends in /v1"),
        ("mock", ["--model", "nope"], "model 'nope' is not served"),
        ("static", [], "not an OpenAI-compatible server: GET /models answered 404, text/html"),
        (
            "mock",
            ["--api", "databricks", "--model", "mock-chat"],
            "--api databricks takes the workspace host",
        ),
    ],
    ids=["nothing-listening", "no-v1", "unknown-model", "http.server", "databricks-with-v1"],
)
def test_contract_against_an_untestable_target_exits_2(
    tmp_path: Path, mock_root: str, static_server: str, where: str, args: list[str], message: str
) -> None:
    base = {
        "nothing": f"http://127.0.0.1:{free_port()}/v1",
        "mock": mock_root + "/v1",
        "mock-root": mock_root,
        "static": static_server + "/v1",
    }[where]
    code, output = contract("--base-url", base, *args, "--out", str(tmp_path / "run"), env=clean_env())
    assert code == 2, output
    assert message in output and "PASSED" not in output and "Traceback" not in output
    assert not (tmp_path / "run" / "contract.json").exists()


def test_every_family_skipped_is_nothing_tested_exit_2(tmp_path: Path, mock_root: str) -> None:
    code, output = contract(
        "--base-url",
        mock_root + "/v1",
        "--families",
        "reasoning,auth",
        "--out",
        str(tmp_path),
        env=clean_env(),
    )
    assert code == 2, output
    assert "nothing was tested (reasoning: no model given (--reasoning-model); auth:" in output
    data = report(tmp_path)
    assert data["verdict"] == "untested" and "PASSED" not in output


@pytest.mark.parametrize("flag", ["--out", "--junit"])
def test_an_unwritable_output_exits_2_before_any_request(tmp_path: Path, flag: str) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    # Nothing listens at the target: had a request gone out, the error would be "nothing answers".
    path = blocker / "sub" if flag == "--out" else blocker / "junit.xml"
    code, output = contract(
        "--base-url", f"http://127.0.0.1:{free_port()}/v1", flag, str(path), env=clean_env()
    )
    lines = output.strip().splitlines()
    assert code == 2 and len(lines) == 1, output
    assert lines[0].startswith(f"servecheck contract: error: {flag} {path}: cannot be written ("), output
    done = servecheck_load(
        blocker / "run", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--duration", "1s"
    )
    assert done.returncode == 2 and "--out" in done.stderr and "cannot be written" in done.stderr


def test_auth_failures_are_labelled_auth_and_no_auth_skips_them(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    env = {**clean_env(), "OPENAI_API_KEY": token}
    with running_mock(token=token, defects=["auth_open"]) as root:
        base = ["--base-url", root + "/v1", "--model", "mock-chat", "--families", "auth"]
        code, output = contract(*base, "--out", str(tmp_path / "a"), env=env)
        assert code == 1, output
        assert "FAIL SC-AUTH-STATUS auth / auth.status" in output and "chat / auth" not in output
        failures = report(tmp_path / "a")["families"]["auth"]["failures"]
        assert {f["family"] for f in failures} == {"auth"}
        assert {f["note"] for f in failures} == {"no token", "wrong token"}  # one group each
        code, output = contract(*base, "--no-auth", "--out", str(tmp_path / "b"), env=env)
    assert code == 2, output  # auth was the only family: nothing was tested
    assert (
        report(tmp_path / "b")["families"]["auth"]["reason"]
        == "the target is declared to take no token (--no-auth)"
    )


# -- every distinct deviation -----------------------------------------------------------------------


def test_each_distinct_deviation_is_a_group_with_its_own_reproducer(tmp_path: Path) -> None:
    with running_mock(defects=["accept_invalid"]) as root:
        code, output = contract(
            "--base-url", root + "/v1", "--model", "mock-chat", "--families", "errors",
            "--out", str(tmp_path), env=clean_env(),
        )  # fmt: skip
    assert code == 1, output
    data = report(tmp_path)
    groups = [f for f in data["families"]["errors"]["failures"] if f["check"] == "negative.status"]
    notes = {g["note"] for g in groups}
    assert len(groups) == len(notes) >= 8  # one group per kind of invalid request the server took
    assert any("max_tokens is a string" in n for n in notes) and any(
        "temperature out of range" in n for n in notes
    )
    assert len({g["signature"] for g in groups}) == len(groups)
    assert all(g["code"] == "SC-NEGATIVE-STATUS" and g["curl"].startswith("curl ") for g in groups)
    shrunk = [g for g in groups if g["shrunk"]]  # each within its own budget, the first SHRUNK_GROUPS
    assert len(shrunk) == min(len(groups), SHRUNK_GROUPS)
    assert len({orjson.dumps(g["request"]["body"]) for g in shrunk}) == len(shrunk)  # its own reproducer
    shown = [line for line in output.splitlines() if line.startswith("FAIL SC-NEGATIVE-STATUS")]
    assert len(shown) == len(groups)
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count('type="SC-NEGATIVE-STATUS"') == len(groups)
    assert data["totals"]["failure_groups"] == len(data["families"]["errors"]["failures"])
    lines = [orjson.loads(line) for line in (tmp_path / "findings.jsonl").read_bytes().splitlines()]
    assert sum(line["kind"] == "failure" for line in lines) == data["totals"]["failure_groups"]


def test_explain_says_the_rule_why_and_who_breaks() -> None:
    code, output = servecheck("explain", "SC-STREAM-DONE")
    assert code == 0
    assert (
        "stream.done" in output
        and "level:   spec" in output
        and "breaks:" in output
        and "openai SDK" in output
    )
    code, output = servecheck("explain", "SC-NOPE")
    assert code == 2 and "unknown code 'SC-NOPE'" in output
    code, output = servecheck("checks", "list")
    assert code == 0 and "SC-EMBEDDINGS-REPEAT" in output and "strict" in output


# -- levels and unsupported features ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("defect", "family", "check", "fails_at"),
    [
        ("embeddings_nondeterministic", "embeddings", "embeddings.repeat", "strict"),
        ("length_ignored", "chat", "chat.length", "compat"),
    ],
)
def test_the_level_decides_what_fails_the_rest_warns(
    tmp_path: Path, defect: str, family: str, check: str, fails_at: str
) -> None:
    with running_mock(defects=[defect]) as root:
        base = ["--base-url", root + "/v1", "--model", "mock-chat", "--embedding-model", "mock-embed"]
        runs = {}
        for level in ("spec", "compat", "strict"):
            code, output = contract(
                *base, "--families", family, "--level", level, "--out", str(tmp_path / level), env=clean_env()
            )
            runs[level] = (code, output, report(tmp_path / level))
    order = ("spec", "compat", "strict")
    for level, (code, output, data) in runs.items():
        enforced = order.index(level) >= order.index(fails_at)
        assert code == (1 if enforced else 0), (level, output)
        tally = data["families"][family]["checks"][check]
        assert (tally["failed"] > 0) == enforced and (tally["warned"] > 0) == (not enforced)
        status = {f["status"] for f in data["families"][family]["failures"] if f["check"] == check}
        assert status == {"failed" if enforced else "warning"}
        assert ("WARN SC-" in output) == (not enforced)
    code, output = contract("--level", "lax", env=clean_env())
    assert code == 2 and "--level must be one of spec, compat, strict" in output


def test_a_cleanly_declined_feature_is_unsupported_not_failed(tmp_path: Path) -> None:
    declines = Profile(declines=("n",))
    with running_mock(profile=declines) as root:
        base = ["--base-url", root + "/v1", "--model", "mock-chat", "--families", "chat", "--examples", "12"]
        code, output = contract(*base, "--out", str(tmp_path / "a"), env=clean_env())
        assert code == 0, output
        data = report(tmp_path / "a")
        unsupported = data["families"]["chat"]["unsupported"]
        assert set(unsupported) == {"n"} and unsupported["n"]["status"] == 400
        assert "UNSUPPORTED chat / n" in output and data["totals"]["unsupported"] == ["n"]
        junit = (tmp_path / "a" / "junit.xml").read_text()
        assert 'name="unsupported: n"' in junit
        code, output = contract(*base, "--require", "n", "--out", str(tmp_path / "b"), env=clean_env())
        assert code == 1, output
        assert "FAIL SC-TRANSPORT-STATUS chat / transport.status" in output
    code, output = contract("--require", "telepathy", env=clean_env())
    assert code == 2 and "--require: unknown feature 'telepathy'" in output


@pytest.mark.parametrize(
    ("profile", "defects", "check"),
    [
        (Profile(), ["wrong_choice_count"], "chat.choices"),  # ignores n: a 2xx that ignores it
        (Profile(declines=("n",)), ["error_envelope_bare"], "negative.envelope"),  # declines, malformed
    ],
    ids=["ignored", "declined-without-an-envelope"],
)
def test_ignoring_a_feature_or_refusing_it_badly_stays_a_failure(
    tmp_path: Path, profile: Profile, defects: list[str], check: str
) -> None:
    with running_mock(profile=profile, defects=defects) as root:
        code, output = contract(
            "--base-url", root + "/v1", "--model", "mock-chat", "--families", "chat", "--examples", "12",
            "--out", str(tmp_path), env=clean_env(),
        )  # fmt: skip
    assert code == 1, output
    data = report(tmp_path)
    assert not data["families"]["chat"]["unsupported"]
    failed = {f["check"] for f in data["families"]["chat"]["failures"]}
    assert check in failed or "transport.status" in failed, failed


# -- baselines ---------------------------------------------------------------------------------------


def test_a_baseline_fails_only_on_new_failure_groups(tmp_path: Path) -> None:
    base = ["--model", "mock-chat", "--families", "chat", "--examples", "8"]
    with running_mock(defects=["usage_mismatch"]) as root:
        assert (
            contract("--base-url", root + "/v1", *base, "--out", str(tmp_path / "old"), env=clean_env())[0]
            == 1
        )
    code, output = servecheck("baseline", str(tmp_path / "old"), "--output", str(tmp_path / "known.json"))
    assert code == 0 and "known failure groups" in output
    known = json.loads((tmp_path / "known.json").read_text())
    assert known["kind"] == "servecheck-baseline" and known["failures"]
    assert "request" not in known["failures"][0] and "curl" not in known["failures"][0]
    flags = ["--baseline", str(tmp_path / "known.json")]
    with running_mock(defects=["usage_mismatch"]) as root:  # the same defect, another seed
        code, output = contract(
            "--base-url",
            root + "/v1",
            *base,
            *flags,
            "--seed",
            "7",
            "--out",
            str(tmp_path / "same"),
            env=clean_env(),
        )
    assert code == 0, output
    data = report(tmp_path / "same")
    assert data["verdict"] == "passed" and data["baseline"]["new"] == 0 and data["baseline"]["known"] >= 1
    assert "KNOWN SC-CHAT-USAGE" in output
    with running_mock(defects=["usage_mismatch", "created_string"]) as root:
        code, output = contract(
            "--base-url", root + "/v1", *base, *flags, "--out", str(tmp_path / "new"), env=clean_env()
        )
    assert code == 1, output
    new = [f for f in report(tmp_path / "new")["families"]["chat"]["failures"] if not f["known"]]
    assert new and all(f["check"] != "chat.usage" for f in new)
    with running_mock() as root:  # fixed
        code, output = contract(
            "--base-url", root + "/v1", *base, *flags, "--out", str(tmp_path / "fixed"), env=clean_env()
        )
    assert code == 0, output
    assert report(tmp_path / "fixed")["baseline"]["fixed"] and "FIXED chat | chat.usage" in output
    # the run's own contract.json serves as a baseline too; a file of another shape is a usage error
    assert (
        contract(
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--baseline",
            str(tmp_path / "known.json" / "x"),
            env=clean_env(),
        )[0]
        == 2
    )
    (tmp_path / "junk.json").write_text("[1, 2]")
    code, output = contract("--baseline", str(tmp_path / "junk.json"), env=clean_env())
    assert code == 2 and "not a contract.json or a `servecheck baseline` file" in output


@pytest.mark.slow
def test_the_pytest_plugin_fails_only_on_what_the_level_enforces(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text("def test_own():\n    assert True\n")
    env = {**os.environ, **clean_env()}
    codes = {}
    with running_mock(defects=["embeddings_nondeterministic"]) as root:
        for level in ("compat", "strict"):
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                 "--servecheck-base-url", root + "/v1", "--servecheck-families", "embeddings",
                 "--servecheck-level", level, "--servecheck-seed", "1", str(tmp_path)],
                capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
            )  # fmt: skip
            codes[level] = done.returncode, done.stdout
    assert codes["compat"][0] == 0, codes["compat"][1]  # embeddings.repeat is strict: a warning
    assert codes["strict"][0] == 1 and "SC-EMBEDDINGS-REPEAT" in codes["strict"][1], codes["strict"][1]
