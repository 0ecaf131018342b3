"""`servecheck report`: real run folders (a contract run against a mock with a defect, a 3 s load sweep)
rendered as HTML and Markdown, killed runs read from their JSONL files, and the HTML opened in a real
headless Chromium to see the plots render."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import orjson
import plotly.graph_objects as go
import plotly.offline
import pytest
from markupsafe import Markup
from test_load_run import servecheck_load
from typer.testing import CliRunner

from harness.cli import app
from harness.render.html import PLOTLY_TRACES, Section, plot_div, plotly_js, render_page
from harness.report import plots
from harness.report.html_report import render_html
from harness.runs.files import MAX_JSONL_LINE
from harness.runs.read import RunData, Samples, read_run
from mock_server.server import running_mock

CLI = [sys.executable, "-c", "from harness.cli import app; app()"]
CLEAN = {name: "" for name in ("OPENAI_BASE_URL", "DATABRICKS_HOST", "OPENAI_API_KEY", "DATABRICKS_TOKEN")}
PLOTS = (
    "plot-latency-cdf", "plot-ttft-cdf", "plot-itl-cdf", "plot-tpot-cdf", "plot-over-time",
    "plot-tokens-over-time", "plot-server-metrics", "plot-sweep",
)  # fmt: skip
HOSTILE = "<script>alert('pwned')</script>"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=CLEAN)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def contract_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("contract") / "run"
    with running_mock(defects=["usage_mismatch"]) as root:
        code, output = invoke(
            "contract", "--base-url", root + "/v1", "--model", "mock-chat",
            "--families", "chat,stream,errors", "--examples", "6", "--seed", "7", "--out", str(out),
        )  # fmt: skip
    assert code == 1, output
    return out


@pytest.fixture(scope="module")
def load_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("load") / "run"
    slo = "p95_ttft_ms<=1,error_rate<=0.5"
    args = ("--scenario", "mix", "--shape", "sweep", "--users", "4", "--duration", "3s", "--slo", slo)
    args += ("--goodput", "e2e_ms:60000")
    done = servecheck_load(out, *args)
    assert done.returncode == 1, done.stdout + done.stderr  # the 1 ms TTFT objective fails
    return out


def copy_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def test_the_contract_html_shows_families_checks_and_failures(contract_run: Path, tmp_path: Path) -> None:
    code, output = invoke("report", str(contract_run), "--output", str(tmp_path / "r.html"))
    assert code == 0, output
    html = (tmp_path / "r.html").read_text()
    data = json.loads((contract_run / "contract.json").read_text())
    assert 'class="verdict fail" id="verdict"' in html
    for name in ("chat", "stream", "errors"):
        assert f'id="family-{name}"' in html
    failure = data["families"]["chat"]["failures"][0]
    assert failure["check"] == "chat.usage"
    block = html.split('id="fail-chat-chat-usage"', 1)[1].split("</div>", 1)[0]
    assert "$.usage.total_tokens" in block and "curl -X POST" in block
    assert "minimal failing request" in block and "response 200 application/json" in block
    assert '"model": "mock-chat"' in block.replace("&#34;", '"')  # the request, pretty-printed
    # the check table links the failing check to its failure
    assert '<a href="#fail-chat-chat-usage">chat.usage</a>' in html
    assert "<script" not in html  # no load run: no plotly, no script at all


def test_hostile_response_excerpts_are_escaped(contract_run: Path, tmp_path: Path) -> None:
    run = copy_run(contract_run, tmp_path / "run")
    data = json.loads((run / "contract.json").read_text())
    data["families"]["chat"]["failures"][0]["response"]["excerpt"] = HOSTILE
    data["families"]["chat"]["failures"][0]["message"] = "<img src=x onerror=alert(1)>"
    (run / "contract.json").write_text(json.dumps(data))
    code, output = invoke("report", str(run))
    assert code == 0, output
    html = (run / "report.html").read_text()
    assert HOSTILE not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    code, output = invoke("report", str(run), "--format", "md")
    assert "<img" not in (run / "report.md").read_text()


def test_the_markdown_summary_links_failing_checks(contract_run: Path, tmp_path: Path) -> None:
    run = copy_run(contract_run, tmp_path / "run")
    assert invoke("report", str(run), "--format", "md")[0] == 0
    assert invoke("report", str(run))[0] == 0
    md = (run / "report.md").read_text()
    html = (run / "report.html").read_text()
    assert md.startswith("## ❌ servecheck: FAIL (contract)")
    links = re.findall(r"\(report\.html#([a-z0-9-]+)\)", md)
    assert "fail-chat-chat-usage" in links and "fail-stream-chat-usage" in links
    assert all(f'id="{anchor}"' in html for anchor in links)
    assert "`$.usage.total_tokens`" in md and "PARTIAL" not in md


def test_the_load_html_has_every_plot_slos_and_percentiles(load_run: Path, tmp_path: Path) -> None:
    meta = json.loads((load_run / "run.json").read_text())
    assert meta["kind"] == "load" and meta["target"]["embedded_mock"] is True
    assert meta["flags"]["shape"] == "sweep"
    code, output = invoke("report", str(load_run), "--output", str(tmp_path / "load.html"))
    assert code == 0, output
    html = (tmp_path / "load.html").read_text()
    for plot in PLOTS:
        assert f'data-plot="{plot}"' in html
    load = json.loads((load_run / "load.json").read_text())
    assert ('data-plot="plot-errors"' in html) == bool(load["errors_by_kind"])  # no empty error plot
    settings = html.split('id="settings"', 1)[1].split("</table>", 1)[0]
    for shown in ("embedded mock (realistic profile)", "sweep, 3 s", "o200k_base", "synthetic"):
        assert shown in settings, settings
    assert "SLOs failed" in html and "p95_ttft_ms&lt;=1" in html and "(knee)" in html
    assert "from samples.jsonl" in html  # the CDFs use every sample, a curve per scenario
    assert '"name":"chat-stream (' in html and 'id="scenarios"' in html
    notes = html.split('id="load-notes"', 1)[1].split("</ul>", 1)[0]
    assert "goodput" in notes and "met latency_ms&lt;=60000" in notes and "server metrics (" in notes
    # self-contained: plotly.js (its basic bundle) inline, nothing fetched, and under 1.5 MB
    assert "<script src" not in html and "plotly.js (basic - minified)" in html
    assert len(html.encode()) < 1_500_000, len(html.encode())


def test_the_load_markdown_gives_key_percentiles_and_slo_verdicts(load_run: Path, tmp_path: Path) -> None:
    code, _ = invoke("report", str(load_run), "--format", "md", "--output", str(tmp_path / "s.md"))
    md = (tmp_path / "s.md").read_text()
    p95 = json.loads((load_run / "load.json").read_text())["metrics"]["ttft_ms"]["p95"]
    assert code == 0 and "❌ Load: failed (SLOs failed)" in md and "- ❌ SLO failed: p95_ttft_ms&lt;=1" in md
    assert re.search(r"\| TTFT \(ms\) \| [\d.]+ \| [\d.]+ \| " + f"{p95:.1f}", md)
    assert "❌ SLO `p95_ttft_ms<=1`" in md and "✅ SLO `error_rate<=0.5`" in md
    # what the console says beyond its tables, said once (harness/runs/load_notes.py) for every reader
    assert re.search(r"- goodput [\d.]+ req/s, .* met latency_ms&lt;=60000", md), md
    assert "- server metrics (http://127.0.0.1:" in md


def test_a_killed_contract_run_is_reported_from_findings_jsonl(contract_run: Path, tmp_path: Path) -> None:
    run = copy_run(contract_run, tmp_path / "run")
    (run / "contract.json").unlink()
    lines = (run / "findings.jsonl").read_text().splitlines()
    # killed after the first family, in the middle of writing a line
    cut = next(i for i, line in enumerate(lines) if '"kind":"family"' in line)
    (run / "findings.jsonl").write_text("\n".join(lines[: cut + 1]) + '\n{"kind":"fail')
    assert invoke("report", str(run))[0] == 0
    html = (run / "report.html").read_text()
    assert 'id="partial"' in html and "findings.jsonl" in html
    assert 'id="family-chat"' in html and 'id="family-stream"' not in html
    assert 'id="fail-chat-chat-usage"' in html
    assert invoke("report", str(run), "--format", "md")[0] == 0
    assert "PARTIAL RESULTS" in (run / "report.md").read_text()


def test_a_killed_load_run_is_reported_from_samples_and_live(load_run: Path, tmp_path: Path) -> None:
    run = copy_run(load_run, tmp_path / "run")
    (run / "load.json").unlink()
    samples = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    assert invoke("report", str(run))[0] == 0
    html = (run / "report.html").read_text()
    assert 'id="partial"' in html and "samples.jsonl" in html
    assert f"{len(samples)} requests" in html
    for plot in ("plot-latency-cdf", "plot-ttft-cdf", "plot-over-time"):
        assert f'data-plot="{plot}"' in html


def test_every_figure_is_one_the_inlined_bundle_draws(load_run: Path) -> None:
    """plotly.js' basic bundle draws scatter, bar and pie only: a figure of another type would be an
    empty box in every report. And the bundle is the plotly.js release plotly.py writes figures for."""
    run = read_run(load_run)
    errors = {"errors_by_kind": {"http_503": 3, "timeout": 1}, "requests": 10, "errors": 4}
    every = [*plots.figures(run.load or {}, run.samples, run.live).values(), plots.errors(errors)]
    assert {trace.type for fig in every for trace in fig.data} <= PLOTLY_TRACES
    assert plots.errors({"errors_by_kind": {}}) is None
    bundled = re.search(r"plotly\.js \(basic - minified\) v(\d+)\.", str(plotly_js())).group(1)
    assert bundled == plotly.offline.get_plotlyjs_version().split(".")[0]


def test_the_time_series_mark_where_each_level_began(load_run: Path) -> None:
    load = json.loads((load_run / "load.json").read_text())
    starts = [phase["start_s"] for phase in load["phases"][1:]]
    for fig in (plots.over_time(load, []), plots.tokens_over_time(load)):
        assert [shape.x0 for shape in fig.layout.shapes] == starts
        # round ticks on the right axis too, not ones synced to the left axis' grid (0.617 users)
        assert fig.layout.yaxis2.tickmode in ("auto", "linear") and not fig.layout.yaxis2.showgrid
    users = plots.tokens_over_time(load).layout.yaxis2
    assert users.tickformat == ",d" and users.dtick >= 1  # whole users


def test_the_slo_search_plot_shows_each_trial_against_its_threshold() -> None:
    def trial(value: float, p50: float, passed: bool) -> dict:
        objective = {"objective": "p50_ttft_ms<=250", "passed": passed, "observed": p50,
                     "interval": [p50 - 10, p50 + 20], "confidence": "firm"}  # fmt: skip
        return {"value": value, "passed": passed, "requests": 40, "objectives": [objective]}

    trials = [trial(8, 700.0, False), trial(1, 150.0, True), trial(4, 320.0, False), trial(3, 240.0, True)]
    search = {"kind": "users", "answer": 3, "first_failure": 4, "trials": trials}
    fig = plots.slo_search({"slo_search": search})
    (line,) = fig.data
    assert list(line.x) == [1, 3, 4, 8] and list(line.y) == [150.0, 240.0, 320.0, 700.0]  # in load order
    assert list(line.marker.color) == ["#1a7f37", "#1a7f37", "#cf222e", "#cf222e"]
    assert list(line.error_y.array) == [20.0] * 4 and list(line.error_y.arrayminus) == [10.0] * 4
    assert [(s.y0, s.x0) for s in fig.layout.shapes] == [(250.0, 0), (0, 3)]  # threshold, answer
    assert plots.slo_search({}) is None


def test_the_knee_marked_is_the_phase_at_load_json_knee_index(tmp_path: Path) -> None:
    # load.json's "knee" is an index into "phases", not a user count: index 2 of 1,2,4,8 users is 4 users
    phases = [
        {"users": users, "rps": float(users), "output_tokens_per_s": 1.0, "error_rate": 0.0,
         "p50_latency_ms": 10.0 * users, "p95_latency_ms": 20.0 * users, "p50_ttft_ms": 5.0}
        for users in (1, 2, 4, 8)
    ]  # fmt: skip
    load = {"phases": phases, "knee": 2}
    assert plots.sweep(load).data[0].text == ("1 users", "2 users", "4 users (knee)", "8 users")
    html = render_html(RunData(tmp_path, None, None, load))
    assert html.count(" (knee)</td>") == 1 and '<td class="num">4 (knee)</td>' in html


@pytest.mark.parametrize("case", ["missing", "empty", "bad-json"])
def test_a_missing_or_invalid_run_dir_is_one_line_exit_2(case: str, tmp_path: Path) -> None:
    run = tmp_path / "run"
    if case != "missing":
        run.mkdir()
    if case == "bad-json":
        (run / "load.json").write_text("{not json")
    code, output = invoke("report", str(run))
    assert code == 2 and output.startswith("servecheck report: error: ") and output.count("\n") == 1
    assert invoke("report", str(tmp_path), "--format", "pdf")[0] == 2


def png_pixels_vary(png: bytes) -> bool:
    """Decode the PNG's image data (zlib) and check it is not one flat colour."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw)) > 32  # filter bytes and a blank page give a handful of values


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:  # CI installs it (.ci/run): a missing browser is a failure, not a skip
        pytest.fail("chromium is not installed (apt-get install -y chromium)")
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--window-size=1200,2000", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.timeout(120)
def test_the_plots_render_in_headless_chromium(load_run: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert invoke("report", str(load_run), "--output", str(page))[0] == 0
    shot = tmp_path / "shot.png"
    chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p1")
    assert shot.exists() and shot.stat().st_size > 10_000
    assert png_pixels_vary(shot.read_bytes())
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "p2").stdout
    # every plot div was drawn by plotly.js: its SVG is in the rendered DOM, inside that div
    parts = dom.split('data-plot="')[1:]
    assert sorted(part.split('"', 1)[0] for part in parts) == sorted(PLOTS)
    for part in parts:
        assert 'class="main-svg"' in part.split('class="plot-wrap"', 1)[0], part[:80]


def test_render_page_is_the_shared_self_contained_page() -> None:
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    sections = [Section("Drift <b>", Markup("<p>ok</p>")), Section("Plot", plot_div(figure, "plot-x"))]
    html = render_page(HOSTILE, sections, verdict="fail", subtitle=HOSTILE, partial="killed", plots=True)
    assert HOSTILE not in html
    assert html.count(str(Markup.escape(HOSTILE))) == 3  # <title>, <h1> and the subtitle, all escaped
    assert '<section id="drift-b">' in html and "<h2>Drift &lt;b&gt;</h2>" in html and "<p>ok</p>" in html
    assert 'data-plot="plot-x"' in html and "PARTIAL: killed" in html


def test_a_huge_samples_file_is_streamed_and_sampled(load_run: Path, tmp_path: Path) -> None:
    """300,000 samples (and one line too long to be one servecheck wrote): counts exact, plots from a
    sample, a report no bigger than one of a few hundred samples (plotly aside, the same size)."""
    run = copy_run(load_run, tmp_path / "run")
    (run / "load.json").unlink()
    assert invoke("report", str(run))[0] == 0
    small = len((run / "report.html").read_bytes())
    rows = [
        {"t": i / 1000, "scenario": "chat", "latency_ms": 10 + i % 97, "ttft_ms": 5 + i % 13,
         "completion_tokens": 8, "error": "http_500" if i % 10 == 0 else None}
        for i in range(300_000)
    ]  # fmt: skip
    with (run / "samples.jsonl").open("wb") as f:
        f.write(b'{"t": 1, "pad": "' + b"x" * (3 * MAX_JSONL_LINE) + b'"}\n')
        f.writelines(orjson.dumps(row) + b"\n" for row in rows)
    env = {**os.environ, **CLEAN}
    done = subprocess.run([*CLI, "report", str(run)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    html = (run / "report.html").read_text()
    assert len(html.encode()) < small + 200_000, (len(html.encode()), small)
    assert "300,000 requests" in html or "300000 requests" in html
    assert f"percentiles from {Samples.KEPT:,} of 300,000 samples" in html


BAD_SHAPES = {
    "run.json target is a number": ("run.json", lambda d: {**d, "target": 7}),
    "contract.json totals lack counts": ("contract.json", lambda d: {**d, "totals": {}}),
    "contract.json baseline is empty": ("contract.json", lambda d: {**d, "baseline": {}}),
    "contract.json is a list": ("contract.json", lambda d: [d]),
    "load.json error budget is empty": ("load.json", lambda d: {**d, "error_budget": {}}),
    "load.json series rows lack t": ("load.json", lambda d: {**d, "series": [{}]}),
    "load.json SLO rows lack passed": ("load.json", lambda d: {**d, "slo": [{"a": "b"}]}),
}


@pytest.mark.parametrize("case", list(BAD_SHAPES))
def test_results_of_the_wrong_shape_are_one_line_exit_2(
    case: str, contract_run: Path, load_run: Path, tmp_path: Path
) -> None:
    name, spoil = BAD_SHAPES[case]
    source = load_run if name == "load.json" else contract_run
    run = copy_run(source, tmp_path / "run")
    (run / name).write_text(json.dumps(spoil(json.loads((run / name).read_text()))))
    for command in (
        ["report", str(run)],
        ["report", str(run), "--format", "md"],
        ["diff", str(source), str(run)],
    ):
        code, output = invoke(*command)
        assert code == 2 and output.count("\n") == 1 and ": error: " in output, (command, output)


def test_a_folder_where_a_result_file_belongs_is_one_line_exit_2(contract_run: Path, tmp_path: Path) -> None:
    run = copy_run(contract_run, tmp_path / "run")
    (run / "contract.json").unlink()
    (run / "contract.json").mkdir()
    code, output = invoke("report", str(run))
    assert code == 2 and output.count("\n") == 1 and "contract.json" in output, output
