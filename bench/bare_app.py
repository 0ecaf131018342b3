"""The ceiling for bench_mock.py: a bare Starlette app that reads the request body and returns a fixed
chat.completion (64 completion tokens, like the mock's benchmark answer), served by the mock's own
uvicorn settings (`mock_server.server.serve`), so the two differ only in what the mock does per request.

    .venv/bin/python bench/bare_app.py [--port 0]   # prints "bare app on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import argparse
import contextlib

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

CONTENT = (  # 64 o200k_base tokens
    "Many little team people take create gentle hear high study pattern night. The high by point run,"
    " team city. It build stay come information careful day within set on force careful early. Each did"
    " happen country meet the river at night, and the garden stays quiet while our team builds a simple"
    " model of the world in good time"
)
BODY = orjson.dumps(
    {
        "id": "chatcmpl-0123456789abcdef000001",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "mock-chat",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": CONTENT},
                "logprobs": None,
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 18, "completion_tokens": 64, "total_tokens": 82},
    }
)


async def chat(request: Request) -> Response:
    await request.body()  # any real endpoint has to receive the body
    return Response(BODY, media_type="application/json")


def create_bare_app() -> Starlette:
    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def main() -> None:
    from mock_server.server import serve  # here, so importing BODY does not load the mock

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops
        serve(create_bare_app(), "127.0.0.1", args.port, lambda url: print(f"bare app on {url}", flush=True))


if __name__ == "__main__":
    main()
