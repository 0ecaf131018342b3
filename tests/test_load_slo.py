"""SLO parsing and verdicts."""

from __future__ import annotations

import pytest

from harness.load.slo import Objective, SLOError, judge, parse_slos


def test_parse_the_issue_example() -> None:
    assert parse_slos("p95_ttft_ms<=500, p99_latency_ms<=2000,error_rate<=0.01") == [
        Objective("p95_ttft_ms", "<=", 500),
        Objective("p99_latency_ms", "<=", 2000),
        Objective("error_rate", "<=", 0.01),
    ]
    assert parse_slos("rps>=10,mean_itl_ms<25,output_tokens_per_s>1e3") == [
        Objective("rps", ">=", 10),
        Objective("mean_itl_ms", "<", 25),
        Objective("output_tokens_per_s", ">", 1000),
    ]
    assert parse_slos("") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p95_ttft<=500", "unknown SLO metric"),
        ("p95_ttft_ms=500", "cannot parse"),
        ("error_rate<=", "cannot parse"),
        ("p42_latency_ms<=1", "unknown SLO metric"),
        ("p95_ttft_ms<=-1", "cannot parse"),
    ],
)
def test_bad_objectives_say_why(text: str, reason: str) -> None:
    with pytest.raises(SLOError, match=reason):
        parse_slos(text)


def test_verdicts_pass_fail_and_missing_data_fails() -> None:
    objectives = parse_slos("p95_ttft_ms<=500,error_rate<=0.01,p50_tpot_ms<=40,rps>=5")
    verdicts = judge(objectives, {"p95_ttft_ms": 480.0, "error_rate": 0.02, "p50_tpot_ms": None, "rps": 5.0})
    assert [v.passed for v in verdicts] == [True, False, False, True]
    assert verdicts[1].to_dict() == {
        "objective": "error_rate<=0.01",
        "metric": "error_rate",
        "op": "<=",
        "threshold": 0.01,
        "observed": 0.02,
        "passed": False,
    }
