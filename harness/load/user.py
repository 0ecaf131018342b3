"""The Locust user every scenario builds on: it sends one LLM request at a time and measures it.

Why not `self.client.post(...)` and Locust's own timing: with stream=True FastHttpUser stops the clock
at the response headers. So the body is read here as it arrives (whole buffers, `_arrived`), and the
request's response_time is set to the end of the body. Locust's request statistics hold real requests
only, one event each: TTFT, ITL and TPOT are not requests. The full measurement (a RequestRecord) rides
on that event's context, where the servecheck plugin collects it; workers carry the aggregate to the
master with their reports, and Locust's web UI shows it in tabs of its own (harness/load/webui.py).

Scenarios subclass LLMUser, set `scenario`, `family` and `stream`, and write `synthetic()`.
"""

from __future__ import annotations

import os
import random
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import gevent
import gevent.pool
import orjson
from geventhttpclient.response import HTTPConnectionClosed, HTTPParseError, HTTPResponse
from locust import task
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager
from locust.exception import StopUser

from harness.families import PAYLOADS, native_route, path_for
from harness.load.arrival import ArrivalClock
from harness.load.backoff import Backoff
from harness.load.measure import StreamMeter, body_answer, body_output, token_counts
from harness.load.metrics import RECORD_KEY, RequestRecord
from harness.load.openloop import arrival_gaps, run_arrivals
from harness.load.plugin import session_of
from harness.load.prompts import load_requests, prompt_text
from harness.load.shapes import RATE_SWEEP
from harness.load.validate import violation
from harness.load.workload import Conversation, Dialogue, Turn, is_sharegpt, load_sharegpt, shared_prefixes
from harness.tokens import load_tokenizer
from harness.wire.limits import LIMIT, MAX_BODY_BYTES, MAX_HEADER_BYTES, bounded_json, mib
from harness.wire.redact import keep_secret, safe_url

# What a body read can raise when the connection breaks: a cut body surfaces as the parser's
# "Incomplete response" (HTTPParseError, an http.client.HTTPException) or a closed/reset socket.
_BROKEN = (HTTPConnectionClosed, HTTPParseError, ConnectionError, OSError, ValueError)
_HEADER_LIMIT = f"a header line over {mib(MAX_HEADER_BYTES)}"
_OVER_LIMIT = f"over the {MAX_BODY_BYTES // 2**20} MiB limit"  # a hostile endpoint may send gigabytes


def _arrived(raw: Any) -> Iterator[tuple[bytes, float]]:
    """The body's bytes as they arrive, whatever is there at each read, each with the time it reached
    this machine (harness/load/arrival.py): geventhttpclient's readline rescans its whole buffer per read
    (one 200 MB line: minutes without yielding) and read(n) waits for n bytes, so the buffer is taken as
    it is (its private parts: the only way)."""
    buffer = raw._body_buffer
    when = time.perf_counter()  # what came with the headers was read without a stamp: now
    clock = ArrivalClock(raw._sock, when) if raw._sock is not None else None
    while True:
        if buffer:
            data = bytes(buffer)
            del buffer[:]
            yield data, when
            gevent.sleep(0)  # a fast sender never makes recv block: let timers (the deadline) run
            continue
        if raw.message_complete or raw._sock is None or clock is None:
            return
        try:
            data, when = clock.recv(raw.block_size)
            raw.feed(data)
        except BaseException:
            raw.release()
            raise


def _bounded_headers() -> None:
    """geventhttpclient joins a header's pieces with str + str, without a limit: one 100 MB header line
    is quadratic and never yields. Past MAX_HEADER_BYTES a header ends the response as a parse error."""
    for attr, callback in (
        ("_current_header_field", "_on_header_field"),
        ("_current_header_value", "_on_header_value"),
    ):
        original = getattr(HTTPResponse, callback)

        def bounded(self: Any, string: str, _attr: str = attr, _original: Any = original) -> None:
            if len(getattr(self, _attr) or "") + len(string) > MAX_HEADER_BYTES:
                raise HTTPParseError(_HEADER_LIMIT)
            _original(self, string)

        setattr(HTTPResponse, callback, bounded)


_bounded_headers()


class LoadError(Exception):
    """A failed request as Locust's statistics show it: only the error kind, so failures group by kind."""


class LLMUser(FastHttpUser):
    abstract = True
    scenario = "chat"  # the name in every statistic
    family = "chat"  # "chat", "completions" or "embeddings": the route and the schemas
    stream = False
    converses = False  # whether it holds conversations (ShareGPT, --turns, --shared-prefix): chat does
    max_inflight = 64  # open loop: an arrival finding this many of the user's requests in flight is not sent
    # Verify the target's certificate (Locust's fast client does not by default): the token goes only to
    # the host the URL names. A private CA: SSL_CERT_FILE, which OpenSSL reads (httpx too, pre-flight).
    insecure = False

    def __init__(self, environment: Any) -> None:
        self.session = session_of(environment)
        settings = self.session.settings
        self.settings = settings
        # Locust's socket timeouts, per connect and per read; the whole request has its own bound below.
        self.network_timeout = self.connection_timeout = settings.timeout
        if settings.open_loop or settings.shape == RATE_SWEEP:
            self.concurrency = self.max_inflight
        super().__init__(environment)
        self.rng = random.Random(self.session.next_user_seed())
        self.model = (
            settings.embedding_model if PAYLOADS[self.family].model == "embedding" else settings.model
        )
        self.path = path_for(self.family, settings.api, self.model)
        # identity: Locust asks for gzip by default, but timing is measured on the bytes as they come,
        # and a compressed answer is never inflated here (so no bomb can be either)
        self.headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
        token = os.environ.get(settings.token_env)
        if token:
            keep_secret(token)
            self.headers["Authorization"] = f"Bearer {token}"
        self.tokenizer = load_tokenizer(settings.tokenizer)
        self.conversation = self._conversation() if settings.converses and self.converses else None
        self.file_requests = (
            load_requests(settings.prompts).get(self.family)
            if settings.prompts and self.conversation is None
            else None
        )
        self.backoff = Backoff()  # closed loop: the wait after connection errors

    # --- what to send ---------------------------------------------------------------------------

    def synthetic(self) -> dict[str, Any]:
        """The scenario's request body, without model and stream (set by next_body)."""
        raise NotImplementedError

    def prompt(self) -> str:
        """A fresh prompt whose length is drawn from --input-tokens."""
        return prompt_text(self.rng, self.settings.input_tokens.sample(self.rng), self.tokenizer)

    def _conversation(self) -> Conversation:
        settings = self.settings
        if settings.prompts and is_sharegpt(settings.prompts):
            dialogues = load_sharegpt(settings.prompts)

            def dialogue(rng: random.Random) -> Dialogue:
                return rng.choice(dialogues)
        else:

            def dialogue(rng: random.Random) -> Dialogue:
                return Dialogue(None, tuple(Turn(self.prompt(), None) for _ in range(settings.turns)))

        prefixes = ()
        if settings.shared_prefix:
            prefixes = shared_prefixes(
                settings.shared_prefix, settings.prefix_groups, settings.seed, self.tokenizer
            )
        return Conversation(self.rng, dialogue, settings.turns, prefixes, self.tokenizer)

    def max_tokens(self) -> int:
        return self.settings.output_tokens.sample(self.rng)

    def next_body(self) -> dict[str, Any]:
        """The conversation's next turn, a line of --prompts of this family, else a synthetic body; with
        the model and stream set."""
        if self.conversation:
            body = self.conversation.next_body(self.max_tokens)
        elif self.file_requests:
            body = dict(self.rng.choice(self.file_requests))
        else:
            body = self.synthetic()
        if native_route(self.family, self.settings.api):  # Databricks: the endpoint is in the path
            body.pop("model", None)
        else:
            body["model"] = self.model
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    # --- the load loop ----------------------------------------------------------------------------

    @task
    def next_request(self) -> None:
        if self.settings.open_loop:
            self._arrivals(self.settings.arrival_rate)
        elif self.session.swept_rate() is not None:  # a rate sweep past its probe: open loop from now on
            self._arrivals(self.session.swept_rate)
        elif self.session.take_request():
            rec = self.send(self.next_body())
            if self.conversation:
                self.conversation.answered(None if rec.error else rec.answer)
            wait = self.backoff.after(rec.error)
            if wait:
                gevent.sleep(wait)  # the target stopped answering: no tight retry loop
        if not self.session.requests_left():
            raise StopUser()  # the request budget (--max-requests) is spent

    def _arrivals(self, rate: float | Callable[[], float | None]) -> None:
        pool = gevent.pool.Pool(self.max_inflight)
        settings = self.settings
        try:
            run_arrivals(
                lambda at: arrival_gaps(self.rng, at, settings.arrivals, settings.burstiness),
                rate,
                pool,
                lambda: self.send(self.next_body()),
                self.session.metrics,
                self.session.take_request,
            )
        finally:
            pool.kill(block=False)  # the user is stopping: requests still in flight are not reported

    def send(self, body: dict[str, Any]) -> RequestRecord:
        """Send one request, measure it, and report it on Locust's request event."""
        keep = self.session.sample_for_validation()
        data = orjson.dumps(body)
        rec = RequestRecord(self.scenario, time.perf_counter(), 0.0, validated=keep)
        self.session.metrics.started += 1  # one the run's end may cut: started, never answered
        timer = gevent.Timeout(self.settings.timeout)
        timer.start()
        try:
            with self.client.request(
                "POST",
                self.path,
                name=self.scenario,
                data=data,
                headers=self.headers,
                stream=True,
                catch_response=True,
                allow_redirects=False,  # a redirect is an error, never measured as the target's answer
                context={RECORD_KEY: rec},
            ) as resp:
                length = self._read(resp, body, rec, timer)
                if not rec.latency_ms:  # a stream's reader set it to its last bytes' arrival
                    rec.latency_ms = (time.perf_counter() - rec.sent) * 1000
                # Locust stopped its clock at the headers: report the whole response instead.
                resp.request_meta["response_time"] = rec.latency_ms
                resp.request_meta["response_length"] = length
                if rec.error:
                    resp.failure(LoadError(rec.error))
                else:
                    resp.success()
        finally:
            timer.cancel()
        return rec

    def _read(
        self, resp: ResponseContextManager, body: dict[str, Any], rec: RequestRecord, timer: Any
    ) -> int:
        """Read and judge the response into `rec`; returns the bytes read."""
        status = resp.status_code
        error = getattr(resp, "error", None)
        if not status:
            # geventhttpclient hands a timeout over wrapped in RetriesExceeded (as `original`).
            cause = getattr(error, "original", None) or error
            timed_out = isinstance(cause, (gevent.Timeout, socket.timeout, TimeoutError))
            rec.error = "timeout" if timed_out else "connection"
            rec.detail = f"{rec.error}: {type(cause).__name__}"
            if isinstance(cause, ssl.SSLError):  # which certificate check failed, in OpenSSL's words
                rec.detail += f" ({getattr(cause, 'verify_message', '') or cause.reason})"
            if isinstance(cause, HTTPParseError) and _HEADER_LIMIT in str(cause):
                rec.error, rec.detail = "too_large", f"{LIMIT}: {_HEADER_LIMIT}"
            return 0
        if 300 <= status < 400:
            location = safe_url(resp.headers.get("location") or "nowhere")
            rec.error, rec.detail = "redirect", f"HTTP {status} to {location[:200]} (not followed)"
            return 0
        encoding = resp.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity" and status < 400:  # not read: the connection is dropped
            rec.error, rec.detail = "contract", f"Content-Encoding {encoding[:40]} was not asked for"
            return 0
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:  # not read: the connection is dropped
            too_large = "too_large", f"Content-Length {declared} is {_OVER_LIMIT}"
            rec.error, rec.detail = (f"http_{status}", f"HTTP {status}") if status >= 400 else too_large
            return 0
        raw = resp._response  # geventhttpclient's response: the only way to read as bytes arrive
        try:
            if self.stream and status < 400:
                return self._read_stream(raw, body, rec)
            # Error bodies are read too, so the connection can be reused; never more than the limit
            # (a declared length is within it; read(n) costs an n-byte buffer per recv, so only then).
            payload = raw.read() if declared else raw.read(MAX_BODY_BYTES + 1)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            rec.error, rec.detail = "timeout", f"no complete response within {self.settings.timeout:g} s"
            return 0
        except _BROKEN as exc:
            rec.error = "broken_stream" if self.stream else "connection"
            rec.detail = f"connection broke while reading the body: {type(exc).__name__}"
            return 0
        if status >= 400:
            rec.error, rec.detail = f"http_{status}", f"HTTP {status}"
            return len(payload)
        if len(payload) > MAX_BODY_BYTES:
            rec.error, rec.detail = "too_large", f"response body {_OVER_LIMIT}"
            return len(payload)
        obj, problem = bounded_json(payload)  # within the JSON limits: a hostile body costs bounded memory
        if problem:
            limited = problem.startswith(LIMIT)
            rec.error, rec.detail = "contract", problem if limited else "response body is not JSON"
            return len(payload)
        output, usage = body_output(obj)
        self._count(rec, body, usage, output)
        if self.conversation:
            rec.answer = body_answer(obj)
        if rec.validated:
            self._validate(rec, obj, None)
        return len(payload)

    def _read_stream(self, raw: Any, body: dict[str, Any], rec: RequestRecord) -> int:
        meter = StreamMeter(rec.sent, keep_chunks=rec.validated, keep_answer=self.conversation is not None)
        size, when = 0, time.perf_counter()
        for data, when in _arrived(raw):
            size += len(data)
            if size > MAX_BODY_BYTES:
                rec.error, rec.detail = "too_large", f"stream {_OVER_LIMIT}"
                return size
            meter.feed(data, when)
            if meter.problem and meter.problem.startswith(LIMIT):
                break  # an SSE line or event count past its limit: the stream is judged up to there
        meter.close(when)
        rec.latency_ms = (when - rec.sent) * 1000  # to the last bytes' arrival, like every token time
        rec.first_event_ms = meter.ms(meter.first_event)
        rec.ttft_ms = meter.ms(meter.first_content)
        rec.itl_ms = meter.gaps_ms
        if meter.problem:
            kind = "too_large" if meter.problem.startswith(LIMIT) else "broken_stream"
            rec.error, rec.detail = kind, meter.problem
            return size
        self._count(rec, body, meter.usage, "".join(meter.pieces))
        if meter.answer is not None:
            rec.answer = "".join(meter.answer)
        if rec.validated:
            self._validate(rec, None, meter.chunks)
        return size

    def _count(
        self, rec: RequestRecord, body: dict[str, Any], usage: dict[str, Any] | None, output: str
    ) -> None:
        """Token counts: the server's usage, else our tokenizer's; where usage gave them, ours of the same
        output too, to compare (what AIPerf reports as the usage/tokenizer discrepancy)."""
        rec.prompt_tokens, rec.completion_tokens, rec.token_source = token_counts(
            self.family, body, usage, output, self.tokenizer
        )
        if rec.token_source == "usage" and rec.completion_tokens is not None:
            rec.tokenizer_completion_tokens = self.tokenizer.count(output)

    def _validate(self, rec: RequestRecord, obj: Any, chunks: list[dict[str, Any]] | None) -> None:
        problem = violation(self.family, obj, chunks)
        if problem:
            rec.error, rec.detail = "contract", problem
