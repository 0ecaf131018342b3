"""`servecheck diff`: the statistics, the shape inference and drift, and the CLI over real run folders.

Contract pairs are real runs against the mock (a defect switched on in the NEW run); load pairs start
from one real 3 s `servecheck load` run, rewritten with shifted latencies.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.contract.shapes import observe, observe_exchange
from harness.diff.contract import check_changes, shape_drift
from harness.diff.failon import FailOnError, parse_fail_on
from harness.diff.render import html
from harness.diff.stats import mann_whitney_u, two_proportions
from harness.load.runner import LOOPBACK_ONLY_ENV
from harness.wire.exchange import Exchange, Request, Response, SSEEvent
from mock_server.server import running_mock

pytestmark = pytest.mark.timeout(90)
NO_TARGET = {
    name: "" for name in ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")
}


def servecheck(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=NO_TARGET)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


# -- statistics -----------------------------------------------------------------------------------


def test_mann_whitney_matches_scipy_asymptotic() -> None:
    # Expected values: scipy.stats.mannwhitneyu(a, b, method="asymptotic") (scipy 1.17).
    assert mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx((0.0, 0.012185780355344813))
    ties = mann_whitney_u([1, 2, 2, 3, 3, 3, 7, 9], [2, 3, 4, 4, 5, 8, 8, 10, 11])
    assert ties == pytest.approx((17.5, 0.0802416692906614))
    assert mann_whitney_u([5, 5, 5], [5, 5, 5])[1] == 1.0


def test_two_proportions() -> None:
    # 5% vs 12.5% of 200: pooled 8.75%, z = -2.654
    assert two_proportions(10, 200, 25, 200) == pytest.approx(0.00795, abs=1e-4)
    assert two_proportions(0, 100, 0, 100) == 1.0


# -- shapes ---------------------------------------------------------------------------------------


def test_observe_tracks_types_and_only_enum_like_values() -> None:
    body = {
        "object": "chat.completion",
        "created": 1,
        "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "secret words"}}],
    }
    shapes = observe(body)
    assert shapes["$.created"]["types"] == ["integer"]
    assert shapes["$.choices[].finish_reason"]["values"] == ["stop"]
    assert shapes["$.choices[].message.content"] == {"types": ["string"], "values": [], "count": 1}
    assert b"secret" not in orjson.dumps(shapes)


def test_values_past_the_cap_are_dropped_and_observations_add_up() -> None:
    merged = {}
    for i in range(25):
        observe({"model": f"m{i}"}, into=merged)
    assert merged["$.model"]["values"] is None
    assert merged["$.model"]["count"] == 25
    both = observe({"a": None}, into=observe({"a": 1}))
    assert both["$.a"]["types"] == ["integer", "null"]


def test_stream_chunks_are_shaped_under_chunk() -> None:
    events = [SSEEvent('{"object": "chat.completion.chunk", "choices": []}'), SSEEvent("[DONE]")]
    ex = Exchange("stream", Request("POST", "/v1/chat/completions"), Response(200, events=events))
    shapes = observe_exchange(ex)
    assert set(shapes) == {"chunk", "chunk.object", "chunk.choices"}
    assert shapes["chunk.object"]["values"] == ["chat.completion.chunk"]


def test_shape_drift_kinds() -> None:
    base = {"chat": observe({"n": 2}, into=observe({"a": {"b": 1, "c": 2}, "n": 1.5, "type": "x", "k": 1}))}
    new = {"chat": observe({"n": 3, "type": "y", "k": "1", "z": True})}
    drift = {(c["path"], c["kind"]): c for c in shape_drift(base, new)}
    assert set(drift) == {
        ("$.a", "removed"),  # its sub-fields are not listed again
        ("$.z", "added"),
        ("$.k", "type_changed"),
        ("$.type", "enum_values_new"),
    }  # an integer where numbers were seen ($.n) is no change
    assert drift[("$.k", "type_changed")]["detail"] == "integer -> string"
    breaking = sorted((path, c["breaking"]) for (path, _), c in drift.items())
    assert breaking == [("$.a", True), ("$.k", True), ("$.type", False), ("$.z", False)]


def test_check_changes() -> None:
    def run(chat: int, skipped: str) -> dict:
        families = {"chat": {"status": "passed", "checks": {"chat.usage": {"passed": 3, "failed": chat}}}}
        families[skipped] = {"status": "skipped", "checks": {}}
        return {"families": families}

    changes = check_changes(run(0, "auth"), run(2, "vision"))
    assert changes == {
        "newly_failing": ["chat::chat.usage"],
        "newly_passing": [],
        "newly_skipped": ["vision"],
        "no_longer_skipped": ["auth"],
    }
    assert check_changes(run(2, "auth"), run(0, "auth"))["newly_passing"] == ["chat::chat.usage"]


def test_fail_on_parsing() -> None:
    conds = parse_fail_on("breaking, p95_latency:+10%,throughput:-10%,error_rate:+1%")
    assert [(c.metric, c.stat, c.limit) for c in conds] == [
        ("", "mean", 0.0),
        ("latency", "p95", 0.10),
        ("throughput", "mean", -0.10),
        ("error_rate", "mean", 0.01),
    ]
    for bad in ("p95_latency+10%", "p95_latncy:+10%", "p95_throughput:-5%", "latency:10%", ","):
        with pytest.raises(FailOnError):
            parse_fail_on(bad)


# -- contract runs --------------------------------------------------------------------------------


def contract_run(out: Path, defects: tuple[str, ...] = (), seed: int = 7) -> None:
    with running_mock(defects=defects) as url:
        code, output = servecheck(
            "contract", "--seed", str(seed), "--examples", "3", "--families", "chat,stream",
            "--base-url", f"{url}/v1", "--model", "mock-chat", "--out", str(out),
        )  # fmt: skip
    assert code == (1 if defects else 0), output


@pytest.fixture(scope="module")
def contract_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("contract")
    runs = {name: root / name for name in ("base", "same", "broken", "other_seed")}
    contract_run(runs["base"])
    contract_run(runs["same"])
    contract_run(runs["broken"], ("created_string",))
    contract_run(runs["other_seed"], seed=8)
    return runs


def test_contract_run_writes_shapes(contract_runs: dict[str, Path]) -> None:
    shapes = orjson.loads((contract_runs["base"] / "shapes.json").read_bytes())
    assert shapes["chat"]["$.created"]["types"] == ["integer"]
    assert shapes["stream"]["chunk.object"]["values"] == ["chat.completion.chunk"]
    assert shapes["chat"]["$.choices[].message.content"]["values"] == []  # text is never kept


def test_a_defect_in_the_new_run_is_breaking(contract_runs: dict[str, Path], tmp_path: Path) -> None:
    code, output = servecheck(
        "diff", str(contract_runs["base"]), str(contract_runs["broken"]), "--fail-on", "breaking",
        "--json", str(tmp_path / "d.json"), "--md", str(tmp_path / "d.md"),
        "--html", str(tmp_path / "d.html"),
    )  # fmt: skip
    assert code == 1, output
    doc = orjson.loads((tmp_path / "d.json").read_bytes())
    assert "chat::schema.response" in doc["contract"]["checks"]["newly_failing"]
    changed = {(c["family"], c["path"]): c for c in doc["contract"]["shapes"] if c["kind"] == "type_changed"}
    assert changed[("chat", "$.created")]["detail"] == "integer -> string"
    assert changed[("stream", "chunk.created")]["breaking"]
    assert "`$.created` | type_changed" in (tmp_path / "d.md").read_text()
    page = (tmp_path / "d.html").read_text()
    assert "<code>$.created</code>" in page and "breaking:" in page
    # the other way round the checks pass again, and without --fail-on nothing fails the build
    code, output = servecheck("diff", str(contract_runs["broken"]), str(contract_runs["base"]))
    assert code == 0, output
    assert "newly failing: 0" in output and "newly passing: 3" in output


def test_the_same_run_twice_is_no_change(contract_runs: dict[str, Path]) -> None:
    code, output = servecheck(
        "diff", str(contract_runs["base"]), str(contract_runs["same"]), "--fail-on", "breaking"
    )
    assert code == 0, output
    assert "newly failing: 0" in output and "response shape drift: none" in output


def test_with_another_seed_shape_drift_is_not_breaking(
    contract_runs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "d.json"
    code, output = servecheck(
        "diff", str(contract_runs["base"]), str(contract_runs["other_seed"]), "--fail-on", "breaking",
        "--json", str(out),
    )  # fmt: skip
    assert code == 0, output
    doc = orjson.loads(out.read_bytes())
    assert not any(change["breaking"] for change in doc["contract"]["shapes"])
    assert "different seeds" in doc["notes"][0]


# -- load runs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real short load run against the embedded mock: the format every variant is written in."""
    out = tmp_path_factory.mktemp("load") / "base"
    env = {**{k: v for k, v in os.environ.items() if k not in NO_TARGET}, LOOPBACK_ONLY_ENV: "1"}
    command = [sys.executable, "-c", "from harness.cli import app; app()", "load", "--out", str(out)]
    command += ["--duration", "3s", "--users", "4", "--input-tokens", "32", "--output-tokens", "8"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return out


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"count": len(values), "mean": sum(values) / len(values), "p50": rank(0.5), "p95": rank(0.95),
            "p99": rank(0.99), "min": ordered[0], "max": ordered[-1]}  # fmt: skip


def variant(
    real: Path, out: Path, latencies: list[float], rps_factor: float = 1.0, samples: bool = True
) -> Path:
    """A run folder in `real`'s format whose requests took `latencies` (ms) and ran at rps x factor."""
    load = orjson.loads((real / "load.json").read_bytes())
    template = orjson.loads((real / "samples.jsonl").read_bytes().splitlines()[0])
    rows = [{**template, "t": i * 0.01, "latency_ms": v, "ttft_ms": v / 2} for i, v in enumerate(latencies)]
    load["metrics"]["latency_ms"] = _summary([r["latency_ms"] for r in rows])
    load["metrics"]["ttft_ms"] = _summary([r["ttft_ms"] for r in rows])
    load["requests"] = len(rows)
    for key in ("rps", "output_tokens_per_s"):
        load[key] *= rps_factor
    for point in load["series"]:
        point["requests"] *= rps_factor
        point["output_tokens"] *= rps_factor
    out.mkdir(parents=True)
    (out / "load.json").write_bytes(orjson.dumps(load))
    if samples:
        (out / "samples.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return out


BASE_MS = [100.0 + 10 * i for i in range(30)]  # 100..390 ms


def diff_json(base: Path, new: Path, tmp: Path, *fail_on: str) -> tuple[int, dict]:
    out = tmp / f"diff-{new.name}.json"
    code, output = servecheck("diff", str(base), str(new), "--json", str(out), *fail_on)
    assert code in (0, 1), output
    return code, {row["metric"]: row for row in orjson.loads(out.read_bytes())["load"]}


def test_the_real_run_against_itself_is_unchanged(load_run: Path, tmp_path: Path) -> None:
    code, rows = diff_json(load_run, load_run, tmp_path, "--fail-on", "p95_latency:+1%,throughput:-1%")
    assert code == 0
    assert rows["latency"]["test"] == "mann-whitney"
    assert {row["verdict"] for row in rows.values()} == {"unchanged"}


def test_a_clear_slowdown_is_a_regression(load_run: Path, tmp_path: Path) -> None:
    base = variant(load_run, tmp_path / "base", BASE_MS)
    slow = variant(load_run, tmp_path / "slow", [v * 1.5 for v in BASE_MS], rps_factor=0.7)
    code, rows = diff_json(base, slow, tmp_path, "--fail-on", "p95_latency:+10%")
    assert code == 1
    assert rows["latency"]["verdict"] == "regression" and rows["latency"]["p_value"] < 0.01
    assert rows["latency"]["change"]["p95"] == pytest.approx(0.5)
    assert rows["throughput"]["verdict"] == "regression"  # 30% fewer requests a second
    assert servecheck("diff", str(base), str(slow), "--fail-on", "p95_latency:+60%")[0] == 0
    assert servecheck("diff", str(base), str(slow), "--fail-on", "throughput:-10%")[0] == 1
    code, rows = diff_json(slow, base, tmp_path, "--fail-on", "p95_latency:+10%")
    assert code == 0 and rows["latency"]["verdict"] == "improvement"


def test_the_html_diff_overlays_both_runs_cdfs(load_run: Path, tmp_path: Path) -> None:
    base = variant(load_run, tmp_path / "base", BASE_MS)
    slow = variant(load_run, tmp_path / "slow", [v * 1.5 for v in BASE_MS])
    page = tmp_path / "d.html"
    assert (
        servecheck("diff", str(base), str(slow), "--html", str(page), "--json", str(tmp_path / "d.json"))[0]
        == 0
    )
    html = page.read_text()
    assert 'data-plot="plot-diff-latency_ms"' in html and 'data-plot="plot-diff-ttft_ms"' in html
    assert "plotly.js (basic - minified)" in html and len(html.encode()) < 1_500_000
    curves = orjson.loads((tmp_path / "d.json").read_bytes())["load_cdfs"]["latency_ms"]
    assert curves["base"]["x"] == BASE_MS and curves["new"]["x"] == [v * 1.5 for v in BASE_MS]
    assert curves["base"]["y"][-1] == curves["new"]["y"][-1] == 1.0 and curves["new"]["n"] == 30
    # a run without samples has no curve to overlay: the page says its tables, with no plot at all
    bare = variant(load_run, tmp_path / "bare", BASE_MS, samples=False)
    assert servecheck("diff", str(base), str(bare), "--html", str(page))[0] == 0
    assert "data-plot=" not in page.read_text() and "<script" not in page.read_text()


def test_a_small_noisy_shift_is_not_significant(load_run: Path, tmp_path: Path) -> None:
    base = variant(load_run, tmp_path / "base", BASE_MS)
    shuffled = [v * 1.08 for v in BASE_MS]
    random.Random(1).shuffle(shuffled)
    new = variant(load_run, tmp_path / "noisy", shuffled)
    code, rows = diff_json(base, new, tmp_path, "--fail-on", "p50_latency:+5%")
    assert rows["latency"]["change"]["p50"] == pytest.approx(0.08)
    assert rows["latency"]["p_value"] > 0.05
    assert rows["latency"]["verdict"] == "not significant"
    assert code == 0  # a change the data can't support never fails the build


def test_without_samples_the_percentile_delta_decides(load_run: Path, tmp_path: Path) -> None:
    base = variant(load_run, tmp_path / "base", BASE_MS, samples=False)
    slow = variant(load_run, tmp_path / "slow", [v * 1.2 for v in BASE_MS], samples=False)
    code, rows = diff_json(base, slow, tmp_path, "--fail-on", "p99_latency:+10%")
    assert code == 1
    assert rows["latency"]["test"] == "percentile delta" and rows["latency"]["verdict"] == "regression"
    few = variant(load_run, tmp_path / "few", [v * 1.2 for v in BASE_MS[:10]], samples=False)
    code, rows = diff_json(base, few, tmp_path, "--fail-on", "p99_latency:+10%")
    assert code == 0 and rows["latency"]["verdict"] == "not significant"  # 10 requests are too few


# -- usage errors ---------------------------------------------------------------------------------


def test_bad_usage_is_one_line_and_exit_2(load_run: Path, tmp_path: Path) -> None:
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "load.json").write_text('{"rps": "fast"}')
    for args in (
        [str(tmp_path / "missing"), str(load_run)],
        [str(tmp_path / "foreign"), str(load_run)],
        [str(load_run), str(load_run), "--fail-on", "p95_latency:+ten%"],
        [str(load_run), str(load_run), "--fail-on", "p95_speed:+10%"],
    ):
        result = CliRunner().invoke(app, ["diff", *args], env=NO_TARGET)
        assert result.exit_code == 2, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert len(result.output.strip().splitlines()) == 1 and "error:" in result.output


def test_html_escapes_what_the_endpoint_sent() -> None:
    hostile = "$.<script>alert(1)</script>"
    drift = {"family": "chat", "path": hostile, "kind": "added", "detail": "string", "breaking": False}
    empty = {key: [] for key in ("newly_failing", "newly_passing", "newly_skipped", "no_longer_skipped")}
    doc = {"base": "a", "new": "b", "contract": {"checks": empty, "shapes": [drift]}, "load": None}
    page = html({**doc, "notes": [], "fail_on": [], "triggered": []})
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
