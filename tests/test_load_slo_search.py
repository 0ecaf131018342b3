"""SLO search: the bisection over fake trials (exact, no server), the percentile intervals that give
its answer a confidence, and a users search end to end against a mock with two batch slots."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_load_run import results, servecheck_load
from test_load_saturation import CAPPED
from typer.testing import CliRunner

from harness.cli import app
from harness.load.slo_search import Trial, firmness, quantile_interval, search


def fake(limit: float, tried: list[float]) -> object:
    """A target that meets the SLOs up to `limit`."""

    def trial(value: float) -> Trial:
        tried.append(value)
        return Trial(value, value <= limit, {"requests": 100, "slo": []})

    return trial


def test_a_users_search_bisects_to_neighbours() -> None:
    tried: list[float] = []
    found = search("users", 64, steps=10, trial=fake(13, tried))
    assert tried[:2] == [64, 1] and found.best.value == 13 and found.first_failure.value == 14
    assert len(tried) <= 2 + 6  # log2(64) halvings
    assert search("users", 64, 10, fake(100, [])).to_dict()["answer"] == 64  # the top passed: done
    nothing = search("users", 64, 10, fake(0.5, [])).to_dict()
    assert nothing["answer"] is None and nothing["first_failure"] == 1


def test_a_rate_search_probes_then_bisects_within_five_percent() -> None:
    tried: list[float] = []
    found = search("rate", 8, steps=12, trial=fake(31.0, tried), probe=lambda: 80.0)
    assert found.probe_rps == 80.0 and tried[0] == 80.0
    best, failure = found.best.value, found.first_failure.value
    assert best <= 31.0 < failure and failure - best <= 0.05 * failure
    few = search("rate", 8, steps=3, trial=fake(31.0, []), probe=lambda: 80.0)
    assert len(few.trials) == 3  # --search-steps bounds the trials
    climbed: list[float] = []  # the probe under-measured: the search climbs past it, then bisects
    found = search("rate", 8, steps=12, trial=fake(130.0, climbed), probe=lambda: 80.0)
    assert climbed[:3] == [80.0, 120.0, 180.0] and found.best.value <= 130.0 < found.first_failure.value


def test_percentile_intervals_say_when_a_verdict_could_have_gone_the_other_way() -> None:
    rng = random.Random(3)
    values = [rng.uniform(0, 1000) for _ in range(2000)]
    low, high = quantile_interval(values, 0.95)
    assert low < sorted(values)[1899] < high and high - low < 40
    assert quantile_interval(values[:10], 0.95) is None  # too few to say
    samples = [{"ttft_ms": v, "error": None, "excluded": None} for v in values]
    verdicts = {"slo": [{"objective": "p95_ttft_ms<=960", "passed": True, "observed": 950.0}]}
    near = firmness("p95_ttft_ms<=960,error_rate<=0.01", verdicts, samples)
    assert near[0]["confidence"] == "uncertain" and near[1]["confidence"] == "unassessed"
    far = firmness("p95_ttft_ms<=1500", {"slo": []}, samples)
    assert far[0]["confidence"] == "firm"


@pytest.mark.timing
def test_a_users_search_finds_how_many_users_two_slots_serve(tmp_path: Path, mock_proc) -> None:
    """Two slots of ~200 ms answers: 2 users never wait, 8 wait ~600 ms for their first token."""
    url = mock_proc(CAPPED)
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--slo-search", "users", "--users", "8",
        "--slo", "p50_ttft_ms<=250", "--duration", "2s", "--search-steps", "5", "--output-tokens", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    found = results(out)["slo_search"]
    assert [t["value"] for t in found["trials"]][:2] == [8, 1]
    assert 2 <= found["answer"] <= 4 and found["first_failure"] == found["answer"] + 1
    assert all(t["passed"] == (t["value"] <= found["answer"]) for t in found["trials"])
    assert len(list((out / "trials").iterdir())) == len(found["trials"])
    assert f"answer: {found['answer']:g} users meets p50_ttft_ms<=250" in " ".join(done.stdout.split())


def test_search_usage_errors(tmp_path: Path) -> None:
    for args, message in (
        (["--slo-search", "users"], "give --slo"),
        (["--slo-search", "rps", "--slo", "error_rate<=0"], "--slo-search must be rate or users"),
        (["--slo-search", "rate", "--slo", "error_rate<=0", "--rate", "5"], "not with --rate"),
        (["--slo-search", "rate", "--slo", "error_rate<=0", "--search-steps", "1"], "--search-steps must be"),
    ):
        result = CliRunner().invoke(app, ["load", "--out", str(tmp_path / "run"), *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)
