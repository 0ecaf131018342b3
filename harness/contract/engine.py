"""The contract engine: for each family, draw cases, send them, run the checks, shrink what failed.

Events flow out through `Listener` callbacks (progress bars, logs); the result is plain data that the
writers in harness/output/ render.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hypothesis import strategies as st

from harness.checks import run_checks
from harness.client import BudgetExhausted, TargetClient
from harness.contract.cases import draw, shrink
from harness.contract.config import ContractConfig
from harness.contract.results import ContractResult, Failure, FamilyResult
from harness.contract.target import Target
from harness.curl import curl_command
from harness.exchange import Exchange, Request
from harness.generate import Case, bad_image_mutations, invalid_mutations, valid_cases
from harness.interrupt import signal_name
from harness.routes import path_for
from harness.schemas import registry
from harness.shapes import observe_exchange
from harness.targets import ConfigError

EXCERPT_BYTES = 2000
SHRINK_BUDGET = 40  # extra requests one failing check may spend on shrinking


@dataclass(frozen=True)
class Part:
    """Some cases of a family: drawn from `strategy`, sent with each of `auth_modes`."""

    strategy: st.SearchStrategy[Case]
    count: int
    auth_modes: tuple[str, ...] = ("default",)


def _spread(mutations: list[st.SearchStrategy[Case]], n: int) -> list[Part]:
    """About `n` cases over the mutations, every mutation tried at least once."""
    return [Part(mutation, max(1, round(n / len(mutations)))) for mutation in mutations]


Progress = Callable[[str, int, int], None]  # family, done, total
Record = Callable[[FamilyResult], None]  # a family's final result, as soon as it is known
Found = tuple[Exchange, str, str]  # the failing exchange, the check's message, the JSON path


class ContractEngine:
    def __init__(self, config: ContractConfig, target: Target, client: TargetClient) -> None:
        self.config = config
        self.target = target
        self.client = client

    def run(self, progress: Progress | None = None, record: Record | None = None) -> ContractResult:
        """Run every family; `record` gets each family once it is judged, skipped or cut short."""
        result = ContractResult(
            target=self.target.describe(), seed=self.config.seed, schemas=registry().fingerprint()
        )
        started = time.monotonic()
        auth_verified = False
        try:
            for family in self.config.families:
                fam = result.families[family] = FamilyResult(family)
                try:
                    auth_verified = self._family(fam, progress, auth_verified)
                except (BudgetExhausted, KeyboardInterrupt) as stop:
                    # wherever it came: drawing cases, sending, judging or shrinking
                    fam.reason = "cut short: " + self._stop_reason(stop)
                    raise
                finally:  # not a family whose run ended otherwise before anything was judged
                    if record and (fam.status == "skipped" or fam.checks or fam.reason):
                        record(fam)
        except (BudgetExhausted, KeyboardInterrupt) as stop:
            result.partial = True
            result.stop_reason = self._stop_reason(stop)
            result.signal = signal_name(stop) if isinstance(stop, KeyboardInterrupt) else ""
        finally:
            result.requests = self.client.requests_sent
            result.elapsed = time.monotonic() - started
        return result

    def _family(self, fam: FamilyResult, progress: Progress | None, auth_verified: bool) -> bool:
        """Plan, send and judge one family; returns whether a valid request has passed auth yet."""
        parts = self._plan(fam.family, fam)
        if parts is None:
            return auth_verified
        sent, stopped = self._send_all(fam.family, parts, progress)
        exchanges = [ex for _, ex in sent]
        fam.requests = len(exchanges)
        if stopped is not None:
            self._judge(fam, sent, minimize=False)  # what came back before the stop still counts
            raise stopped
        if self._skip_unserved(fam, exchanges):
            return auth_verified
        if not auth_verified and fam.family != "auth":
            self._fail_if_auth_rejected(exchanges)
            auth_verified = any(ex.expect == "success" for ex in exchanges)
        self._judge(fam, sent, minimize=self.config.shrink)
        return auth_verified

    def _stop_reason(self, stop: BaseException) -> str:
        if isinstance(stop, BudgetExhausted):
            return f"request budget spent (--max-requests {self.config.max_requests})"
        return "interrupted"

    # -- planning -------------------------------------------------------------------------------

    def _plan(self, family: str, fam: FamilyResult) -> list[Part] | None:
        n = self.config.examples
        model = self.target.model_for(family)
        if model is None:
            flag = {"embeddings": "--embedding-model", "reasoning": "--reasoning-model"}.get(
                family, "--model"
            )
            fam.skip(f"no model given ({flag})")
            return None
        if family == "auth":
            if not self.target.token:
                fam.skip(f"target configured without auth (${self.target.token_env} is not set)")
                return None
            return [Part(valid_cases("chat", model), min(n, 2), ("none", "wrong"))]
        if family == "errors":
            return _spread(invalid_mutations(model, self.target.embedding_model), n)
        parts = [Part(valid_cases(family, model), n)]
        if family == "vision":
            parts += _spread(bad_image_mutations(model), max(1, n // 3))
        return parts

    # -- sending --------------------------------------------------------------------------------

    def _request(self, case: Case, index: int) -> Request:
        """Databricks cases alternate between the native invocations route and the OpenAI-style one."""
        model = self.target.model_for(case.family) or ""
        native = self.target.api == "databricks" and index % 2 == 0
        body = dict(case.body)
        if native:
            body.pop("model", None)  # the endpoint name in the path says which model
        return Request("POST", path_for(case.kind, self.target.api, model, native), body)

    def _exchange(self, case: Case, index: int, auth: str) -> Exchange:
        request = self._request(case, index)
        response = self.client.send(request, auth=auth)
        expect = "unauthorized" if auth != "default" else case.expect
        note = {"none": "no token", "wrong": "wrong token"}.get(auth, case.note)
        return Exchange(case.family, request, response, expect, self.target.api, note)

    def _send_all(
        self, family: str, parts: list[Part], progress: Progress | None
    ) -> tuple[list[tuple[Part, Exchange]], BaseException | None]:
        """The exchanges in case order, and what stopped sending early (budget, Ctrl-C), if anything."""
        jobs = [
            (part, case, auth)
            for part in parts
            for case in draw(part.strategy, part.count, self.config.seed)
            for auth in part.auth_modes
        ]
        sent: list[tuple[Part, Exchange]] = []
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            futures = [pool.submit(self._exchange, case, i, auth) for i, (_, case, auth) in enumerate(jobs)]
            try:
                for (part, _, _), future in zip(jobs, futures, strict=True):
                    sent.append((part, future.result()))
                    if progress:
                        progress(family, len(sent), len(jobs))
            except (BudgetExhausted, KeyboardInterrupt) as stop:
                for future in futures:
                    future.cancel()
                return sent, stop
        return sent, None

    # -- judging --------------------------------------------------------------------------------

    @staticmethod
    def _skip_unserved(fam: FamilyResult, exchanges: list[Exchange]) -> bool:
        if exchanges and all(ex.response.status == 404 for ex in exchanges):
            paths = sorted({ex.request.path for ex in exchanges})
            fam.skip(f"not served: 404 on {', '.join(paths)}")
            return True
        return False

    def _fail_if_auth_rejected(self, exchanges: list[Exchange]) -> None:
        valid = [ex for ex in exchanges if ex.expect == "success"]
        if valid and all(ex.response.status in (401, 403) for ex in valid):
            source = (
                f"${self.target.token_env}" if self.target.token else f"no token (${self.target.token_env})"
            )
            raise ConfigError(f"authentication rejected on every request ({source}); check the token")

    def _judge(self, fam: FamilyResult, sent: list[tuple[Part, Exchange]], minimize: bool) -> None:
        first_failure: dict[str, tuple[Part, Found]] = {}
        for part, ex in sent:
            observe_exchange(ex, fam.shapes)
            for outcome in run_checks(ex):
                tally = fam.tally(outcome.check)
                if outcome.status == "passed":
                    tally.passed += 1
                else:
                    tally.failed += 1
                    first_failure.setdefault(outcome.check, (part, (ex, outcome.message, outcome.path)))
        fam.status = "failed" if first_failure else "passed"
        try:
            for check, (part, found) in first_failure.items():
                shrunk = self._shrink(check, part, found[0]) if minimize else None
                fam.failures.append(self._failure(check, shrunk or found, shrunk is not None))
        finally:  # a stop while shrinking (budget, Ctrl-C) keeps the rest of the failures as first seen
            recorded = {f.check for f in fam.failures}
            fam.failures += [
                self._failure(check, found, False)
                for check, (_, found) in first_failure.items()
                if check not in recorded
            ]

    def _shrink(self, check: str, part: Part, seen: Exchange) -> Found | None:
        """The minimal request that still fails `check`, found by Hypothesis; None if it won't reproduce."""
        if part.auth_modes != ("default",):
            return None  # auth cases are fixed variations: nothing to shrink
        if seen.response.error is not None or seen.response.status == 429:
            return (
                None  # a transport fault or rate limit says nothing about the request: resending costs only
            )
        route = 0 if seen.request.path.endswith("/invocations") or self.target.api == "openai" else 1
        last: list[Found] = []

        def fails(case: Case) -> bool:
            again = self._exchange(case, route, "default")
            for outcome in run_checks(again):
                if outcome.check == check and outcome.status == "failed":
                    last.append((again, outcome.message, outcome.path))
                    return True
            return False

        minimal = shrink(part.strategy, part.count, self.config.seed, fails, part.count + SHRINK_BUDGET)
        return last[-1] if minimal is not None else None

    def _failure(self, check: str, found: Found, shrunk: bool) -> Failure:
        ex, message, path = found
        response = ex.response  # the client masked any echo of the token in it (harness/client.py)
        excerpt = response.body[:EXCERPT_BYTES].decode("utf-8", "replace")
        token_env = None if ex.note == "no token" else self.target.token_env
        return Failure(
            check=check,
            family=ex.family,
            message=message,
            path=path,
            request={"method": ex.request.method, "path": ex.request.path, "body": ex.request.body},
            response={
                "status": response.status,
                "content_type": response.content_type,
                "error": response.error,
                "excerpt": excerpt,
                "truncated": len(response.body) > EXCERPT_BYTES,
            },
            curl=curl_command(ex.request, self.target.base_url, token_env),
            note=ex.note,
            shrunk=shrunk,
        )
