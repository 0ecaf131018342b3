"""Per-request LLM measurements, and their mergeable aggregate.

A `RequestRecord` is what one request measured; it travels on Locust's request event (in the event's
context), so the same bus feeds Locust's statistics and ours. `LoadMetrics` aggregates records into
histograms per scenario, error counts by kind and a per-second series, and merges with the aggregate
of another process (a worker's report) by adding.

Definitions (ms):
- latency: request sent to the last byte of the response (the whole stream);
- ttft: request sent to the first chunk carrying non-empty content, reasoning or a tool-call delta;
- first_event: request sent to the first SSE event of any kind (often the role-only chunk);
- itl: every gap between two consecutive content-carrying chunks;
- tpot: (latency - ttft) / (completion tokens - 1), for streams with at least two output tokens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.load.histogram import Histogram
from harness.runs.metrics import DISTRIBUTIONS
from harness.wire.redact import redact

RECORD_KEY = "servecheck_record"  # where the record rides in a Locust request event's context
HISTOGRAMS = tuple(DISTRIBUTIONS)  # one histogram per distribution of the registry
_SAMPLES_PER_KIND = 3
TOKEN_DIFFERENCE = 0.1  # usage and our tokenizer "differ" past this share of ours


@dataclass(slots=True)
class Second:
    """One second of the series: what finished in it (by the second a request ended)."""

    requests: int = 0
    errors: int = 0
    output_tokens: int = 0
    latency_ms_sum: float = 0.0  # of the successful requests
    ttft_ms_sum: float = 0.0
    ttft_count: int = 0
    not_sent: int = 0  # open loop: arrivals dropped at the in-flight cap
    good: int = 0  # met every --goodput objective
    good_tokens: int = 0  # their output tokens
    sent: int = 0  # open loop: arrivals sent in this second (by the second they left)
    send_lag_ms_sum: float = 0.0  # and how late they left, in all

    def add(self, other: Second) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class RequestRecord:
    scenario: str
    sent: float  # time.perf_counter() when the request left
    latency_ms: float
    error: str | None = None  # "http_503", "timeout", "connection", "broken_stream", "contract"
    detail: str = ""  # one line about the error, never holding the token
    first_event_ms: float | None = None
    ttft_ms: float | None = None
    itl_ms: list[float] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    token_source: str | None = None  # "usage" (the server's count) or "tokenizer" (ours, --tokenizer)
    validated: bool = False
    tokenizer_completion_tokens: int | None = None  # ours of the output, where usage gave the count
    excluded: str | None = None  # "warmup" or "cooldown": outside the measured window (load/window.py)
    good: bool = False  # succeeded and met every --goodput objective
    answer: str = ""  # the generated text, kept only for a conversation's next turn

    @property
    def tpot_ms(self) -> float | None:
        if self.ttft_ms is None or not self.completion_tokens or self.completion_tokens < 2:
            return None
        return (self.latency_ms - self.ttft_ms) / (self.completion_tokens - 1)


class ScenarioMetrics:
    __slots__ = ("errors", "good", "good_tokens", "hist", "requests", "token_sources", "validated")

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.validated = 0
        self.good = 0
        self.good_tokens = 0
        self.token_sources: Counter[str] = Counter()
        self.hist = {name: Histogram() for name in HISTOGRAMS}

    def add(self, rec: RequestRecord) -> None:
        self.requests += 1
        self.validated += rec.validated
        if rec.error:
            self.errors += 1
            return  # a failed request's timings would mix two populations
        if rec.good:
            self.good += 1
            self.good_tokens += rec.completion_tokens or 0
        hist = self.hist
        hist["latency"].add(rec.latency_ms)
        if rec.first_event_ms is not None:
            hist["first_event"].add(rec.first_event_ms)
        if rec.ttft_ms is not None:
            hist["ttft"].add(rec.ttft_ms)
        itl = hist["itl"]
        for gap in rec.itl_ms:
            itl.add(gap)
        tpot = rec.tpot_ms
        if tpot is not None:
            hist["tpot"].add(tpot)
        if rec.prompt_tokens is not None:
            hist["prompt_tokens"].add(rec.prompt_tokens)
        if rec.completion_tokens is not None:
            hist["completion_tokens"].add(rec.completion_tokens)
        if rec.token_source:
            self.token_sources[rec.token_source] += 1

    def merge(self, other: ScenarioMetrics) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.validated += other.validated
        self.good += other.good
        self.good_tokens += other.good_tokens
        self.token_sources.update(other.token_sources)
        for name, hist in other.hist.items():
            self.hist[name].merge(hist)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "validated": self.validated,
            "good": self.good,
            "good_tokens": self.good_tokens,
            "token_sources": dict(self.token_sources),
            "hist": {name: hist.to_dict() for name, hist in self.hist.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScenarioMetrics:
        out = cls()
        out.requests, out.errors, out.validated = data["requests"], data["errors"], data["validated"]
        out.good, out.good_tokens = data["good"], data["good_tokens"]
        out.token_sources = Counter(data["token_sources"])
        out.hist = {name: Histogram.from_dict(data["hist"][name]) for name in HISTOGRAMS}
        return out


class LoadMetrics:
    """Everything one process (or, merged, the whole run) measured.

    Times in the series are whole seconds since this node's test start (`t0`, a perf_counter
    reading), by the second a request finished. With `phased` (step, spike and sweep shapes) each
    second also keeps latency and TTFT histograms of the requests sent in it, so each phase gets
    exact-enough percentiles of its own requests (not of the previous level's queue).
    """

    def __init__(self, t0: float, phased: bool = False) -> None:
        self.t0 = t0
        self.phased = phased
        self.reset()

    def reset(self) -> None:
        """Forget every measurement (the clock stays): after a drain, or the web UI's Reset Stats."""
        self.scenarios: dict[str, ScenarioMetrics] = {}
        self.errors: Counter[str] = Counter()
        self.error_samples: dict[str, list[str]] = {}
        self.series: dict[int, Second] = {}
        self.second_hists: dict[int, dict[str, Histogram]] = {}
        self.send_lag = Histogram()  # open loop: ms between an arrival's schedule and its send
        self.not_sent = 0  # open loop: arrivals dropped because the user's in-flight cap was reached
        self.loop_lag = Histogram()  # ms the event loop woke late (harness/load/generator.py)
        self.cpu_max = 0.0  # the highest CPU reading of a load-generating process (percent of a core)
        self.cpu_busy = 0  # readings (one a second per process) at or over the busy threshold
        self.cpu_samples = 0
        # usage against our tokenizer, over the answers that had both: answers, usage's sum, ours, and
        # how many differed by more than TOKEN_DIFFERENCE
        self.token_check = [0, 0, 0, 0]
        self.started = 0  # requests sent (answered or not: the run's end cuts those in flight)
        self.excluded: Counter[str] = Counter()  # answers outside the measured window, by why
        self.first_sent: float | None = None  # the measured window, in seconds from t0: first send
        self.last_end: float | None = None  # and last answer

    def _second(self, second: int) -> Second:
        row = self.series.get(second)
        if row is None:
            row = self.series[second] = Second()
        return row

    def record(self, rec: RequestRecord) -> None:
        if rec.excluded:
            self.excluded[rec.excluded] += 1
            return
        sent = rec.sent - self.t0
        end = sent + rec.latency_ms / 1000
        self.first_sent = sent if self.first_sent is None else min(self.first_sent, sent)
        self.last_end = end if self.last_end is None else max(self.last_end, end)
        scenario = self.scenarios.get(rec.scenario)
        if scenario is None:
            scenario = self.scenarios[rec.scenario] = ScenarioMetrics()
        scenario.add(rec)
        second = max(0, int(end))
        row = self._second(second)
        row.requests += 1
        if rec.error:
            row.errors += 1
            self.errors[rec.error] += 1
            samples = self.error_samples.setdefault(rec.error, [])
            detail = redact(rec.detail)  # what an endpoint said may quote the token, whole or cut
            if len(samples) < _SAMPLES_PER_KIND and detail not in samples:
                samples.append(detail)
            return
        row.output_tokens += rec.completion_tokens or 0
        ours = rec.tokenizer_completion_tokens
        if ours is not None and rec.completion_tokens is not None:
            check = self.token_check
            check[0] += 1
            check[1] += rec.completion_tokens
            check[2] += ours
            check[3] += abs(rec.completion_tokens - ours) > TOKEN_DIFFERENCE * max(ours, 1)
        if rec.good:
            row.good += 1
            row.good_tokens += rec.completion_tokens or 0
        row.latency_ms_sum += rec.latency_ms
        if rec.ttft_ms is not None:
            row.ttft_ms_sum += rec.ttft_ms
            row.ttft_count += 1
        if self.phased:  # by the second it was sent: a latency belongs to the level it was sent under
            sent_second = max(0, int(sent))
            hists = self.second_hists.get(sent_second)
            if hists is None:
                hists = self.second_hists[sent_second] = {"latency": Histogram(), "ttft": Histogram()}
            hists["latency"].add(rec.latency_ms)
            if rec.ttft_ms is not None:
                hists["ttft"].add(rec.ttft_ms)

    def record_send(self, now: float, lag_ms: float) -> None:
        """Open loop: an arrival left `lag_ms` after its due time."""
        self.send_lag.add(lag_ms)
        row = self._second(max(0, int(now - self.t0)))
        row.sent += 1
        row.send_lag_ms_sum += lag_ms

    def record_cpu(self, percent: float, busy: float) -> None:
        self.cpu_samples += 1
        self.cpu_busy += percent >= busy
        self.cpu_max = max(self.cpu_max, percent)

    def record_not_sent(self, now: float) -> None:
        self.not_sent += 1
        self._second(max(0, int(now - self.t0))).not_sent += 1

    def merge(self, other: LoadMetrics) -> None:
        for name, scenario in other.scenarios.items():
            self.scenarios.setdefault(name, ScenarioMetrics()).merge(scenario)
        self.errors.update(other.errors)
        for kind, samples in other.error_samples.items():
            mine = self.error_samples.setdefault(kind, [])
            mine.extend(s for s in samples if s not in mine)
            del mine[_SAMPLES_PER_KIND:]
        for second, row in other.series.items():
            self._second(second).add(row)
        for second, hists in other.second_hists.items():
            mine_hists = self.second_hists.setdefault(second, {"latency": Histogram(), "ttft": Histogram()})
            for name, hist in hists.items():
                mine_hists[name].merge(hist)
        self.send_lag.merge(other.send_lag)
        self.not_sent += other.not_sent
        self.loop_lag.merge(other.loop_lag)
        self.cpu_max = max(self.cpu_max, other.cpu_max)
        self.cpu_busy += other.cpu_busy
        self.cpu_samples += other.cpu_samples
        self.excluded.update(other.excluded)
        self.token_check = [a + b for a, b in zip(self.token_check, other.token_check, strict=True)]
        self.started += other.started
        for name, pick in (("first_sent", min), ("last_end", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs if mine is None else mine if theirs is None else pick(mine, theirs))

    def total(self) -> ScenarioMetrics:
        """All scenarios together."""
        out = ScenarioMetrics()
        for scenario in self.scenarios.values():
            out.merge(scenario)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenarios": {name: s.to_dict() for name, s in self.scenarios.items()},
            "errors": dict(self.errors),
            "error_samples": self.error_samples,
            "series": {str(second): asdict(row) for second, row in self.series.items()},
            "second_hists": {
                str(second): {name: h.to_dict() for name, h in hists.items()}
                for second, hists in self.second_hists.items()
            },
            "send_lag": self.send_lag.to_dict(),
            "not_sent": self.not_sent,
            "loop_lag": self.loop_lag.to_dict(),
            "cpu": [self.cpu_max, self.cpu_busy, self.cpu_samples],
            "excluded": dict(self.excluded),
            "token_check": self.token_check,
            "started": self.started,
            "first_sent": self.first_sent,
            "last_end": self.last_end,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadMetrics:
        """A worker's report read back, only to be merged: its seconds are already counted from its t0."""
        out = cls(0.0)
        out.scenarios = {name: ScenarioMetrics.from_dict(s) for name, s in data["scenarios"].items()}
        out.errors = Counter(data["errors"])
        out.error_samples = {kind: list(samples) for kind, samples in data["error_samples"].items()}
        out.series = {int(second): Second(**row) for second, row in data["series"].items()}
        out.second_hists = {
            int(second): {name: Histogram.from_dict(h) for name, h in hists.items()}
            for second, hists in data["second_hists"].items()
        }
        out.send_lag = Histogram.from_dict(data["send_lag"])
        out.not_sent = data["not_sent"]
        out.loop_lag = Histogram.from_dict(data["loop_lag"])
        out.cpu_max, out.cpu_busy, out.cpu_samples = data["cpu"]
        out.excluded = Counter(data["excluded"])
        out.token_check = list(data["token_check"])
        out.started = data["started"]
        out.first_sent, out.last_end = data["first_sent"], data["last_end"]
        return out

    def unfinished(self) -> int:
        """Requests sent but not answered when the run ended (in flight, cut by the stop)."""
        return max(0, self.started - self.total().requests - sum(self.excluded.values()))

    def measured_span(self) -> float | None:
        """Seconds from the first measured request's send to the last one's answer; None: none."""
        if self.first_sent is None or self.last_end is None:
            return None
        return max(self.last_end - self.first_sent, 1e-9)

    def drain(self) -> dict[str, Any]:
        """This process's measurements since the last drain, as plain data (a worker's report)."""
        data = self.to_dict()
        self.reset()
        return data
