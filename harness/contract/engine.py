"""The contract engine: for each family, draw cases, send them, run the checks, shrink what failed.

Everything the run learns flows out as events (harness/contract/events.py) to the handlers the caller
chose (console, findings.jsonl, the run folder's files, the pytest plugin); the result is plain data.
Every distinct deviation is a failure group of its own (harness/contract/groups.py), each shrunk
within its own budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from harness.checks import CATALOGUE, CheckOutcome, run_checks
from harness.checks.auth import BASIC, WITHOUT_VALID_TOKEN
from harness.checks.views import describe_status
from harness.contract import adaptive, clients
from harness.contract.adaptive import Probed
from harness.contract.baseline import compare
from harness.contract.cases import draw, shrink
from harness.contract.config import SHRINK_BUDGET, ContractConfig
from harness.contract.events import (
    ExchangeJudged,
    FailureGroupFound,
    FamilyFinished,
    FamilyStarted,
    Handler,
    RequestSent,
    RunFinished,
    RunStarted,
    emit,
)
from harness.contract.groups import signature
from harness.contract.results import ContractResult, Failure, FamilyResult, Unsupported
from harness.contract.shapes import Shapes, merge_shapes, observe_exchange
from harness.contract.target import Target
from harness.families import MODEL_FLAGS, model_role, native_route, path_for
from harness.generate import Case, bad_image_mutations, invalid_mutations, valid_cases
from harness.interrupt import acknowledge, check_stop, signal_name
from harness.levels import enforced
from harness.schemas.registry import registry
from harness.targets import ConfigError
from harness.wire.auth import BasicToken
from harness.wire.client import BudgetExhausted, TargetClient
from harness.wire.curl import curl_command
from harness.wire.envelopes import declined_feature, envelope_message
from harness.wire.exchange import REFUSED, Exchange, Request, Response

EXCERPT_BYTES = 2000
SHRUNK_GROUPS = 8  # groups of a family shrunk at most; the others keep their first example
SEQUENCED = ("adaptive", "clients")  # families whose requests are built one after another, not drawn
NOT_SERVED = (404, 405, 501)  # an optional probe's route is not there: nothing to judge, and said so


@dataclass(frozen=True)
class Part:
    """Some cases of a family: drawn from `strategy`, sent with each of `auth_modes` ("default": the
    run's token; BASIC: the run's token as Basic auth; else a key of WITHOUT_VALID_TOKEN)."""

    strategy: st.SearchStrategy[Case]
    count: int
    auth_modes: tuple[str, ...] = ("default",)


def _spread(mutations: list[st.SearchStrategy[Case]], n: int) -> list[Part]:
    """About `n` cases over the mutations, every mutation tried at least once."""
    return [Part(mutation, max(1, round(n / len(mutations)))) for mutation in mutations]


Found = tuple[Exchange, str, str]  # the failing exchange, the check's message, the JSON path


@dataclass
class Sent:
    """An exchange judged as soon as it came back (on the worker that sent it), then kept light: its
    response cut to what a failure record quotes, so a family of hostile answers (10 MB streams of
    100,000 events) is not held whole until the last one arrives. Counted later, in case order."""

    part: Part | None  # None: an adaptive probe (built from earlier answers: nothing to shrink)
    exchange: Exchange  # light: the response's body cut to an excerpt, no events
    shapes: Shapes  # the shapes its answer had
    outcomes: tuple[CheckOutcome, ...]  # empty when the target declined an optional feature
    declined: str | None  # that feature


@dataclass
class Group:
    """A failure group while a family is judged: its check, its first example and how often it came."""

    check: str
    part: Part | None
    found: Found
    enforced: bool  # False: the run's --level makes it a warning
    count: int = 1


class ContractEngine:
    def __init__(
        self,
        config: ContractConfig,
        target: Target,
        client: TargetClient,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.config = config
        self.target = target
        self.client = client
        self.known = known  # signatures of the --baseline's failure groups
        self.handlers: Sequence[Handler] = ()
        self._judging = threading.Lock()
        self._stopping = threading.Event()  # a signal stopped the run: answers from now on are not counted

    def run(self, handlers: Sequence[Handler] = ()) -> ContractResult:
        """Run every family, telling `handlers` as it goes; also when cut short (budget, a signal).
        The handlers are open (entered as context managers) for exactly the run."""
        with ExitStack() as stack:
            for handler in handlers:
                stack.enter_context(handler)
            self.handlers = handlers
            return self._run()

    def _run(self) -> ContractResult:
        handlers = self.handlers
        result = ContractResult(
            target=self.target.describe(),
            seed=self.config.seed,
            schemas=registry().fingerprint(),
            level=self.config.level,
        )
        emit(handlers, RunStarted(result.target, result.seed, result.schemas, self.config.families))
        started = time.monotonic()
        auth_verified = False
        try:
            for family in self.config.families:
                fam = result.families[family] = FamilyResult(family)
                try:
                    auth_verified = self._family(fam, auth_verified)
                except (BudgetExhausted, KeyboardInterrupt) as stop:
                    # wherever it came: drawing cases, sending, judging or shrinking
                    fam.reason = "cut short: " + self._stop_reason(stop)
                    if fam.status == "passed":
                        fam.status = "partial"
                    raise
                finally:  # not a family whose run ended otherwise before anything was judged
                    if fam.status == "skipped" or fam.checks or fam.reason:
                        emit(handlers, FamilyFinished(fam))
        except (BudgetExhausted, KeyboardInterrupt) as stop:
            acknowledge()
            result.partial = True
            result.stop_reason = self._stop_reason(stop)
            result.signal = signal_name(stop) if isinstance(stop, KeyboardInterrupt) else ""
        finally:
            result.requests = self.client.requests_sent
            result.elapsed = time.monotonic() - started
        if self.config.baseline:
            result.baseline = compare(result, self.known, self.config.baseline)
        emit(handlers, RunFinished(result))
        return result

    def _family(self, fam: FamilyResult, auth_verified: bool) -> bool:
        """Plan, send and judge one family; returns whether a valid request has passed auth yet."""
        if fam.family in SEQUENCED:
            probed = self._probe(fam)
            if probed is None:
                return auth_verified
            sent, stopped = probed
        else:
            parts = self._plan(fam.family, fam)
            if parts is None:
                return auth_verified
            sent, stopped = self._send_all(fam.family, parts)
        exchanges = [s.exchange for s in sent]
        fam.requests = len(exchanges)
        if stopped is not None:
            self._judge(fam, sent, minimize=False)  # what came back before the stop still counts
            raise stopped
        if self._skip_unserved(fam, exchanges):
            return auth_verified
        if not auth_verified and fam.family != "auth":
            self._fail_if_auth_rejected(exchanges)
            auth_verified = any(ex.expect == "success" for ex in exchanges)
        self._judge(fam, sent, minimize=not self.config.no_shrink)
        return auth_verified

    def _probe(self, fam: FamilyResult) -> tuple[list[Sent], BaseException | None] | None:
        """A sequenced family's requests: the adaptive probes (contract/adaptive.py), built from earlier
        answers, or the client calls (contract/clients.py), whose clients build them; each judged as it
        comes back. None when no model serves them."""
        model = self.target.model_for(fam.family)
        if model is None:
            fam.skip(f"no model given ({MODEL_FLAGS[model_role(fam.family)]})")
            return None
        api = self.target.api
        planned = adaptive.PROBES if fam.family == "adaptive" else clients.planned(api)
        emit(self.handlers, FamilyStarted(fam.family, planned))
        sent: list[Sent] = []
        found = Probed()

        def judge(ex: Exchange) -> None:
            if ex.context.get("optional") and ex.response.status in NOT_SERVED:
                sent.append(Sent(None, _light(ex, keep_json=False), {}, (), None))  # reported as not judged
            else:
                sent.append(self._judged(None, ex))
            emit(self.handlers, RequestSent(fam.family, len(sent), max(planned, len(sent))))
            check_stop()

        def send(family: str, request: Request, note: str, context: dict[str, Any]) -> Exchange:
            ex = Exchange(family, request, self.client.send(request), "success", api, note, context)
            judge(ex)
            return ex

        stopped: BaseException | None = None
        try:
            if fam.family == "adaptive":
                adaptive.probe(api, model, send, found)
            else:
                clients.run_calls(api, model, self.config.timeout, self.client.send, judge, found.unjudged)
        except (BudgetExhausted, KeyboardInterrupt) as stop:
            stopped = stop
            if isinstance(stop, KeyboardInterrupt):
                acknowledge()
        fam.unjudged.update(found.unjudged)
        for one in sent:  # a request whose check found nothing to judge
            name = one.exchange.context.get("check")
            if name and not one.declined and name not in {o.check for o in one.outcomes}:
                fam.unjudged[one.exchange.context.get("subject", name)] = _unjudged_reason(one.exchange)
        return sent, stopped

    def _stop_reason(self, stop: BaseException) -> str:
        if isinstance(stop, BudgetExhausted):
            return f"request budget spent (--max-requests {self.config.max_requests})"
        return "interrupted"

    # -- planning -------------------------------------------------------------------------------

    def _plan(self, family: str, fam: FamilyResult) -> list[Part] | None:
        n = self.config.examples
        model = self.target.model_for(family)
        if model is None:
            fam.skip(f"no model given ({MODEL_FLAGS[model_role(family)]})")
            return None
        if family == "auth":
            if self.config.no_auth:
                fam.skip("the target is declared to take no token (--no-auth)")
                return None
            if not self.target.token:
                fam.skip(f"target configured without auth (${self.target.token_env} is not set)")
                return None
            modes = (*WITHOUT_VALID_TOKEN, *((BASIC,) if self.target.api == "databricks" else ()))
            return [Part(valid_cases("chat", model), min(n, 2), modes)]
        if family == "errors":
            return _spread(invalid_mutations(model, self.target.embedding_model), n)
        parts = [Part(valid_cases(family, model), n)]
        if family == "vision":
            parts += _spread(bad_image_mutations(model), max(1, n // 3))
        return parts

    # -- sending --------------------------------------------------------------------------------

    def _request(self, case: Case, index: int) -> Request:
        """Databricks cases alternate between the native invocations route and the OpenAI-style one."""
        # The body's model (the run's, or the unknown one an invalid case names) picks the endpoint.
        model = case.body.get("model") or self.target.model_for(case.family) or ""
        native = index % 2 == 0 and native_route(case.kind, self.target.api)
        body = dict(case.body)
        if native:
            body.pop("model", None)  # the endpoint name in the path says which model
        return Request("POST", path_for(case.kind, self.target.api, model, native), body)

    def _exchange(self, case: Case, index: int, auth: str) -> Exchange:
        request = self._request(case, index)
        sent_as = BasicToken(self.target.token or "") if auth == BASIC else WITHOUT_VALID_TOKEN.get(auth)
        response = self.client.send(request, auth=sent_as)
        expect = "unauthorized" if auth in WITHOUT_VALID_TOKEN else case.expect
        note = auth if auth in (*WITHOUT_VALID_TOKEN, BASIC) else case.note
        return Exchange(case.family, request, response, expect, self.target.api, note)

    def _sent(self, part: Part, case: Case, index: int, auth: str, answered: list[bool]) -> Sent:
        """Send one case and judge what came back (checks are pure: any thread may run them).
        `answered[index]` says the answer came back before the run was told to stop."""
        ex = self._exchange(case, index, auth)
        answered[index] = not self._stopping.is_set()
        return self._judged(part, ex)

    def _judged(self, part: Part | None, ex: Exchange) -> Sent:
        # One answer judged at a time: judging is CPU under the GIL anyway, and what it builds (parsed
        # events, reassembly) is then held for one answer, not for every answer in flight.
        with self._judging:
            declined = self._declined_feature(ex)
            outcomes = () if declined else tuple(run_checks(ex))
            shapes = observe_exchange(ex)
        return Sent(part, _light(ex, keep_json=declined is not None), shapes, outcomes, declined)

    def _send_all(self, family: str, parts: list[Part]) -> tuple[list[Sent], BaseException | None]:
        """The exchanges in case order, and what stopped sending early (budget, Ctrl-C), if anything."""
        jobs = [
            (part, case, auth)
            for part in parts
            for case in draw(part.strategy, part.count, self.config.seed)
            for auth in part.auth_modes
        ]
        sent: list[Sent] = []
        answered = [False] * len(jobs)
        emit(self.handlers, FamilyStarted(family, len(jobs)))
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            futures = [
                pool.submit(self._sent, part, case, i, auth, answered)
                for i, (part, case, auth) in enumerate(jobs)
            ]
            try:
                for future in futures:
                    sent.append(future.result())
                    emit(self.handlers, RequestSent(family, len(sent), len(jobs)))
                    check_stop()
            except (BudgetExhausted, KeyboardInterrupt) as stop:
                for future in futures:
                    future.cancel()
                if isinstance(stop, KeyboardInterrupt):
                    acknowledge()  # what came back is judged next: the stop is raised after that
                    self._stopping.set()
                    self.client.abort()  # requests in flight end now, not at their deadline
                    # answers that came back before the stop and are being judged still count
                    sent += [f.result() for i, f in enumerate(futures) if i >= len(sent) and answered[i]]
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
        if valid and all(ex.response.status in REFUSED for ex in valid):
            source = (
                f"${self.target.token_env}" if self.target.token else f"no token (${self.target.token_env})"
            )
            raise ConfigError(f"authentication rejected on every request ({source}); check the token")

    def _judge(self, fam: FamilyResult, sent: list[Sent], minimize: bool) -> None:
        """Run the checks on every exchange; every distinct failure becomes a group of its own."""
        groups: dict[str, Group] = {}
        try:
            self._judge_each(fam, sent, groups)
        finally:  # a signal mid-way: the groups found so far are recorded all the same
            self._record(fam, groups, minimize)

    def _judge_each(self, fam: FamilyResult, sent: list[Sent], groups: dict[str, Group]) -> None:
        for one in sent:
            check_stop()
            merge_shapes(one.shapes, fam.shapes)
            if one.declined:
                self._count_declined(fam, one.exchange, one.declined)
            else:
                self._count(fam, one.part, one.exchange, one.outcomes, groups)
            emit(self.handlers, ExchangeJudged(fam.family, one.exchange, one.outcomes))  # once it counts

    def _count(
        self,
        fam: FamilyResult,
        part: Part,
        ex: Exchange,
        outcomes: tuple[CheckOutcome, ...],
        groups: dict[str, Group],
    ) -> None:
        for outcome in outcomes:
            tally = fam.tally(outcome.check)
            if outcome.status == "passed":
                tally.passed += 1
                continue
            enforced_here = enforced(CATALOGUE[outcome.check].level, self.config.level)
            if enforced_here:
                tally.failed += 1
            else:
                tally.warned += 1
            key = signature(fam.family, outcome.check, ex, outcome.message, outcome.path)
            if key in groups:
                groups[key].count += 1
            else:
                groups[key] = Group(outcome.check, part, (ex, outcome.message, outcome.path), enforced_here)

    def _record(self, fam: FamilyResult, groups: dict[str, Group], minimize: bool) -> None:
        try:
            # Warnings and known groups keep their first example: shrinking costs requests, and they fail
            # nothing.
            wanted = [key for key, group in groups.items() if group.enforced and key not in self.known]
            shrinkable = wanted[:SHRUNK_GROUPS]
            for key, group in groups.items():
                shrunk = self._shrink(fam.family, key, group) if minimize and key in shrinkable else None
                self._found(fam, self._failure(fam.family, key, group, shrunk))
        finally:  # a stop while shrinking (budget, Ctrl-C) keeps the rest of the groups as first seen
            recorded = {f.signature for f in fam.failures}
            for key, group in groups.items():
                if key not in recorded:
                    self._found(fam, self._failure(fam.family, key, group, None))
            judged = bool(fam.checks) or not fam.unsupported
            fam.status = (
                "failed"
                if any(f.status == "failed" and not f.known for f in fam.failures)
                else ("passed" if judged else "unsupported")
            )
            if fam.status == "unsupported":
                fam.reason = "declined: " + ", ".join(fam.unsupported)

    def _found(self, fam: FamilyResult, failure: Failure) -> None:
        fam.failures.append(failure)
        emit(self.handlers, FailureGroupFound(failure))

    def _declined_feature(self, ex: Exchange) -> str | None:
        """The optional feature `ex` cleanly refused (counted as UNSUPPORTED, not judged), if any."""
        if ex.expect != "success" or ex.response.json is None:
            return None
        feature = declined_feature(ex.request.body, ex.response.status, ex.response.json, ex.api)
        return None if feature is None or feature in self.config.require else feature

    @staticmethod
    def _count_declined(fam: FamilyResult, ex: Exchange, feature: str) -> None:
        seen = fam.unsupported.get(feature)
        if seen:
            seen.count += 1
        else:
            message = envelope_message(ex.response.json)
            request = {"method": ex.request.method, "path": ex.request.path, "body": ex.request.body}
            fam.unsupported[feature] = Unsupported(1, ex.response.status, message, request)

    def _shrink(self, family: str, key: str, group: Group) -> Found | None:
        """The minimal request that still fails the same way, found by Hypothesis; None if it won't
        reproduce within the group's budget."""
        part, seen = group.part, group.found[0]
        if part is None or part.auth_modes != ("default",):
            return None  # probes and auth cases are fixed variations: nothing to shrink
        if seen.response.error is not None or seen.response.status == 429:
            return (
                None  # a transport fault or rate limit says nothing about the request: resending costs only
            )
        route = 0 if seen.request.path.endswith("/invocations") or self.target.api == "openai" else 1
        last: list[Found] = []

        def fails(case: Case) -> bool:
            again = self._exchange(case, route, "default")
            for outcome in run_checks(again):
                if outcome.status == "failed" and outcome.check == group.check:
                    found = (again, outcome.message, outcome.path)
                    if signature(family, outcome.check, *found) == key:
                        last.append(found)
                        return True
            return False

        minimal = shrink(part.strategy, part.count, self.config.seed, fails, part.count + SHRINK_BUDGET)
        return last[-1] if minimal is not None else None

    def _failure(self, family: str, key: str, group: Group, shrunk: Found | None) -> Failure:
        ex, message, path = shrunk or group.found
        response = ex.response  # the client masked any echo of the token in it (harness/wire/client.py)
        excerpt = response.body[:EXCERPT_BYTES].decode("utf-8", "replace")
        token_env = None if ex.note == "no token" else self.target.token_env
        check = CATALOGUE[group.check]
        return Failure(
            check=check.name,
            family=family,
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
            shrunk=shrunk is not None,
            code=check.code,
            level=check.level,
            signature=key,
            count=group.count,
            status="failed" if group.enforced else "warning",
            known=group.enforced and key in self.known,
        )


def _unjudged_reason(ex: Exchange) -> str:
    """Why a probe's check found nothing to judge: what came back, or what its probe says."""
    if ex.response.error is not None or not 200 <= ex.response.status < 300:
        return f"{ex.request.method} {ex.request.path} got {describe_status(ex.response)}"
    return ex.context.get("unjudged", "its answer held nothing to judge")


def _light(ex: Exchange, keep_json: bool) -> Exchange:
    """`ex` with only what a failure record quotes of its response (an excerpt: one byte more shows it
    was cut), and the parsed body of a declined feature's error envelope."""
    r = ex.response
    response = Response(r.status, r.headers, r.body[: EXCERPT_BYTES + 1], r.elapsed, error=r.error)
    response.json = r.json if keep_json else None
    return replace(ex, response=response, memo={})
