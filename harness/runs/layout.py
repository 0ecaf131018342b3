"""Every file of a run folder, by name: the one place a run-folder file name is spelled.

servecheck-runs/<UTC time>-<kind>-<target>/ (harness/runs/rundir.py) holds, by the kind of run:
"""

from __future__ import annotations

RUN = "run.json"  # both: what ran, against what, with which schemas and flags (written first)
CONTRACT = "contract.json"  # the contract run's results
FINDINGS = "findings.jsonl"  # the contract run's families and failure groups as they are judged
SHAPES = "shapes.json"  # the response shapes the contract run saw (for `servecheck diff`)
JUNIT = "junit.xml"  # the contract run as JUnit XML (also written to --junit FILE)
LOAD = "load.json"  # the load run's results
LIVE = "live.jsonl"  # one progress line a second while a load run goes
SERVER_METRICS = "server_metrics.jsonl"  # the target's Prometheus metrics, a line a scrape (a second)
LLM_STATS = "servecheck_stats.csv"  # the load run's TTFT, ITL, TPOT, ... percentiles, beside Locust's CSV
LOCUST_CSV_PREFIX = "locust"  # Locust's own CSV files (--csv): locust_stats.csv, locust_failures.csv, ...
LOCUST_STATS = f"{LOCUST_CSV_PREFIX}_stats.csv"  # Locust's request statistics: real requests only
SAMPLES_GLOB = "samples*.jsonl"  # one line per load request: samples.jsonl, samples.worker<N>.jsonl
CONFIG_ERROR = "config_error.txt"  # written by Locust instead of load.json when the options are bad
MOCK_LOG = "mock.log"  # the embedded mock's output during a load run
STOP = "stop.json"  # written by `servecheck load` before it stops Locust: why, and on which signal
MOCK_URL = "mock.url"  # where the embedded mock of a load run listens, written by it once it does
LOCUST_LOG = "locust.log"
TRIALS = "trials"  # `servecheck load --slo-search`: a run folder per trial in here
TESTS = "tests"  # tests started from Locust's web UI (`servecheck load --serve`): a run folder each
REPORTS = {"html": "report.html", "md": "report.md"}  # `servecheck report`, by --format

RESULTS = {"contract": CONTRACT, "load": LOAD}  # a run's kind -> its results file


def samples(worker_index: int | None = None) -> str:
    """The samples file of one Locust process: workers (--processes) write one each."""
    return "samples.jsonl" if worker_index is None else f"samples.worker{worker_index}.jsonl"


def test_folder(number: int) -> str:
    """The run folder (under TESTS) of the `number`th test started from the web UI: 001, 002, ..."""
    return f"{number:03d}"


def is_test_folder(name: str) -> bool:
    """A name test_folder() makes (a worker takes it from its master: nothing else becomes a path)."""
    return len(name) >= 3 and name.isascii() and name.isdigit()
