"""The mock's ASGI app: its routes, and the one path every API request takes through it.

Each route answers in a flavour (flavours.py: OpenAI, Databricks or vLLM): its error bodies, its
reasoning, the request fields it takes beyond OpenAI's. The path: token (401) -> rate limit (429)
-> injected fault -> body size (413) -> JSON (400) -> schema validation (400, `param` names the
field) -> model (404) -> answer, paced by the profile. Unexpected exceptions become a 500 envelope as
a last resort; no input should ever reach it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from harness.families import PAYLOADS, PayloadFamily
from harness.wire.limits import depth_over
from mock_server import chat, completions, embeddings, endpoints, limits, responses, textgen
from mock_server.auth import authorized
from mock_server.errors import NO_ROUTE, SERVER_ERROR, ApiError, invalid
from mock_server.flavours import ROUTE_FLAVOURS, Flavour, check_flavour, flavour_for
from mock_server.metrics import MEDIA_TYPE as METRICS_MEDIA_TYPE
from mock_server.models import model_body, models_body
from mock_server.openapi import openapi_document
from mock_server.profile import Profile
from mock_server.state import Call, JsonReply, MockState
from mock_server.streaming import Stream, send

log = logging.getLogger("mock_server")

Handler = Callable[[MockState, Call, Any, dict[str, str]], JsonReply | Stream]
GREETING = [{"role": "user", "content": "Hello"}]


def create_app(
    profile: Profile | None = None,
    token: str | None = None,
    defects: Iterable[str] = (),
    flavour: str | None = None,
) -> Starlette:
    """The mock as an ASGI app. `defects` add to the profile's; a `token` makes auth required; a
    `flavour` answers every route as that server does (None: each route as its own)."""
    check_flavour(flavour)
    state = MockState(profile or Profile(), token, defects)
    textgen.prepare()

    def api(handler: Handler, prefix: str, reads_body: bool = True) -> Callable[[Request], Any]:
        chosen = flavour_for(prefix, flavour)

        async def endpoint(request: Request) -> Response:
            return await _serve(state, chosen, handler, request, reads_body)

        return endpoint

    def get(path: str, handler: Handler, prefix: str) -> Route:
        return Route(path, api(handler, prefix, reads_body=False), methods=["GET"])

    routes = []  # the router tries them in order: the busiest first
    for prefix in ("/v1", "/serving-endpoints"):
        routes += [
            Route(prefix + f.route, api(_answering(f), prefix), methods=["POST"]) for f in PAYLOADS.values()
        ]
        routes += [
            get(f"{prefix}/models", _models, prefix),
            get(f"{prefix}/models/{{model}}", _model, prefix),
        ]
    invocations = api(_invocations, "/serving-endpoints")
    routes += [
        Route("/serving-endpoints/{name}/invocations", invocations, methods=["POST"]),
        Route("/serving-endpoints/{name}/served-models/{served}/invocations", invocations, methods=["POST"]),
        get("/api/2.0/serving-endpoints", _endpoints, "/api/2.0"),
        get("/api/2.0/serving-endpoints/{name}", _endpoint, "/api/2.0"),
        Route("/health", _health, methods=["GET"]),
        Route("/.well-known/databricks-config", _host_metadata, methods=["GET"]),
    ]

    def flavour_of(request: Request) -> Flavour:
        prefix = next((p for p in ROUTE_FLAVOURS if request.url.path.startswith(p + "/")), "/v1")
        return flavour_for(prefix, flavour)

    document = orjson.dumps(openapi_document(state.profile, state.token is not None, flavour))

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    async def metrics(request: Request) -> Response:  # vLLM's /metrics (mock_server/metrics.py)
        return Response(state.server_metrics.exposition(), media_type=METRICS_MEDIA_TYPE)

    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    routes.append(Route("/metrics", metrics, methods=["GET"]))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        chosen = flavour_of(request)
        if exc.status_code == 405:
            error = ApiError(405, f"Method {request.method} is not allowed on {request.url.path}.")
        elif chosen.errors == "databricks":
            error = ApiError(404, f"No API found for '{request.method} {request.url.path}'", code=NO_ROUTE)
        else:
            error = ApiError(exc.status_code, f"No route {request.method} {request.url.path}.")
        error.headers = exc.headers or {}
        return _error(state, chosen, error)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(state, flavour_of(request), ApiError(500, SERVER_ERROR))

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})


async def _health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


async def _host_metadata(request: Request) -> Response:
    root = str(request.base_url).rstrip("/")
    return Response(orjson.dumps(endpoints.host_metadata(root)), media_type="application/json")


async def _serve(
    state: MockState, flavour: Flavour, handler: Handler, request: Request, reads_body: bool
) -> Response:
    try:
        if (
            state.token
            and not state.has("auth_open")
            and not authorized(request.headers.get("authorization"), state.token, flavour.basic_auth)
        ):
            raise ApiError(401, "Missing or invalid bearer token in the Authorization header.")
        if state.rate_limiter and (wait := state.rate_limiter.retry_after()) is not None:
            raise ApiError(429, "Rate limit reached; retry later.", headers={"Retry-After": str(wait)})
        call = state.new_call(flavour)
        if call.dice.error_status:
            raise _injected(call.dice.error_status)
        raw = await _read_body(request, state.profile.max_body_bytes) if reads_body else b"null"
        try:
            body = _parse(raw)
            if _generates_from_schemas(body):  # bounded, but tens of ms: never on the event loop
                reply = await run_in_threadpool(handler, state, call, body, request.path_params)
            else:
                reply = handler(state, call, body, request.path_params)
        except ApiError as err:
            if err.status != 400 or not state.has("accept_invalid"):
                raise
            reply = handler(state, call, None, request.path_params)  # None: the generic stand-in request
        return await _deliver(state, call, reply)
    except ApiError as err:
        return _error(state, flavour, err)
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.url.path)
        return _error(state, flavour, ApiError(500, SERVER_ERROR))


def _generates_from_schemas(body: Any) -> bool:
    """Whether answering `body` means making documents for a caller's JSON Schemas."""
    return isinstance(body, dict) and bool(body.get("tools") or body.get("response_format"))


def _injected(status: int) -> ApiError:
    headers = {"Retry-After": "1"} if status in (429, 503) else None
    return ApiError(status, f"Injected fault: HTTP {status} (profile fault model).", headers=headers)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to exceed `limit` (declared or streamed), or 408
    when it trickles in slower than the body deadline (a slow-loris client).
    Reads the ASGI messages directly: the hot path of every request."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    try:
        async with asyncio.timeout(limits.BODY_TIMEOUT_S):
            return await _receive_body(request, limit)
    except TimeoutError:
        message = f"The request body did not arrive within {limits.BODY_TIMEOUT_S:g} s."
        raise ApiError(408, message, headers={"Connection": "close"}) from None


async def _receive_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            raise invalid("The client went away before sending the whole body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is larger than {limit} bytes.")


def _parse(raw: bytes) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    # Counting brackets is cheap and spares the walk for every body that cannot be that deep.
    depth = limits.MAX_JSON_DEPTH
    if raw.count(b"[") + raw.count(b"{") > depth and depth_over(value, depth):
        raise invalid(f"The request body nests deeper than {depth} levels.")
    return value


async def _deliver(state: MockState, call: Call, reply: JsonReply | Stream) -> Response:
    dice = call.dice
    if dice.slow_s:
        await asyncio.sleep(dice.slow_s)
    metrics = state.server_metrics
    if isinstance(reply, Stream):
        return StreamingResponse(
            send(reply, dice, metrics),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", **call.headers},
        )
    if not dice.quiet and reply.tokens is not None:
        delay = dice.ttft_s() + reply.tokens * dice.itl_s()
        if delay > 0:
            async with metrics.serving():
                await asyncio.sleep(delay)
    metrics.delivered(reply.tokens or 0)
    media_type = "text/plain" if state.has("wrong_content_type") else "application/json"
    return Response(orjson.dumps(reply.body), media_type=media_type, headers=call.headers)


def _error(state: MockState, flavour: Flavour, err: ApiError) -> Response:
    bare = state.has("error_envelope_bare") and err.status < 500
    return Response(
        err.body(bare, flavour.errors),
        status_code=err.status,
        media_type="application/json",
        headers=err.headers,
    )


def _models(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply:
    listed = models_body(state.profile)
    if state.has("models_list_incomplete"):
        chat = state.first_model("chat")
        listed["data"] = [m for m in listed["data"] if m["id"] != chat]
    return JsonReply(listed)


def _model(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply:
    return JsonReply(model_body(state.model(params["model"])))


def _endpoints(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply:
    return JsonReply({"endpoints": [endpoints.record(m) for m in state.profile.models]})


def _endpoint(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply:
    found = endpoints.record(state.model(params["name"], param=None))
    if state.has("endpoint_record_misnamed"):
        found["name"] += "-other"
    return JsonReply(found)


# The module answering each payload family, and what it answers a request with no body.
RESPONDERS: dict[str, tuple[Callable[..., JsonReply | Stream], dict[str, Any]]] = {
    "chat": (chat.respond, {"messages": GREETING}),
    "completions": (completions.respond, {"prompt": "Hello"}),
    "embeddings": (embeddings.respond, {"input": "Hello"}),
    "responses": (responses.respond, {"input": "Hello"}),
}


def _answering(family: PayloadFamily) -> Handler:
    """The handler of a payload family's route: its request schema, then its responder for the model."""
    respond, empty = RESPONDERS[family.name]

    def handler(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply | Stream:
        body = state.validated(
            family.request_schema,
            body,
            lambda: {"model": state.first_model(family.model), **empty},
            call.flavour,
        )
        return respond(state, call, body, state.model(body["model"], family.model))

    return handler


def _invocations(state: MockState, call: Call, body: Any, params: dict[str, str]) -> JsonReply | Stream:
    """Databricks: the endpoint name is the model; the body's shape says which API it speaks. Through
    `/served-models/{served}/` it queries one served entity of the endpoint; either way the answer
    names the entity that served it in the `served-model-name` header."""
    name = params["name"]
    spec = state.model(name, param=None)
    served = endpoints.served_entity(spec)
    if params.get("served", served) != served or ("served" in params and state.has("served_model_404")):
        raise ApiError(404, f"The served model {params['served']!r} is not part of the endpoint {name!r}.")
    call.headers["served-model-name"] = served
    body = state.validated(
        "invocations_request",
        body,
        lambda: {"input": "Hello"} if spec.kind == "embedding" else {"messages": GREETING},
        call.flavour,
    )
    if "input" in body:
        return embeddings.respond(state, call, body, state.model(name, "embedding", None))
    if "messages" in body:
        answer = chat.respond(state, call, body, state.model(name, "chat", None))
        if isinstance(answer, JsonReply) and state.has("invocations_predictions"):
            return JsonReply({"predictions": [answer.body]}, answer.tokens)
        return answer
    return completions.respond(state, call, body, state.model(name, "chat", None))
