"""The transport: one HTTP exchange on the wire, bounded in time and size, never raising for what the
network or the endpoint did (that is reported as the exchange's `error`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

MAX_BODY_BYTES = 16 * 2**20  # a body past this is cut and reported: a hostile endpoint may send gigabytes


@dataclass
class Raw:
    status: int  # 0: no answer
    headers: dict[str, str]  # names lower-cased
    body: bytes
    elapsed: float  # seconds
    error: str | None


def _describe(exc: Exception) -> str:
    message = " ".join(str(exc).split())  # one line, whatever the library put in it
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class Transport:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        # No connection cap: the caller's thread pool already bounds how many requests are in flight.
        self._http = httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=None))

    def close(self) -> None:
        self._http.close()

    def exchange(self, method: str, url: str, headers: dict[str, str], content: bytes | None) -> Raw:
        """One HTTP exchange, read chunk by chunk so the overall deadline can cut an endless stream.

        The read timeout bounds each silent gap and the deadline is checked as each chunk arrives, so
        a response lasts at most about `timeout` plus one read timeout.
        """
        started = time.perf_counter()
        deadline = started + self.timeout
        status, resp_headers, chunks, size, error = 0, {}, [], 0, None
        try:
            with self._http.stream(method, url, headers=headers, content=content) as r:
                status = r.status_code
                resp_headers = {name.lower(): value for name, value in r.headers.items()}
                for chunk in r.iter_bytes():
                    chunks.append(chunk[: MAX_BODY_BYTES - size])
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        error = f"too large: response body over {MAX_BODY_BYTES // 2**20} MiB, cut there"
                        break
                    if time.perf_counter() > deadline:
                        error = f"timeout: response not complete after the {self.timeout:g}s deadline"
                        break
        except httpx.TimeoutException as exc:
            error = f"timeout: {_describe(exc)}"
        except httpx.RemoteProtocolError as exc:
            error = f"protocol error: {_describe(exc)}"
        except httpx.NetworkError as exc:
            error = f"connection error: {_describe(exc)}"
        except httpx.RequestError as exc:
            error = f"transport error: {_describe(exc)}"
        return Raw(status, resp_headers, b"".join(chunks), time.perf_counter() - started, error)
