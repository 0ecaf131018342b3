"""Content-Encoding undone with the output bounded while it is inflated, stacked encodings included.

httpx inflates each network chunk whole, so 16 KB of `gzip, gzip` can become gigabytes in one call;
here every layer inflates at most what the body may still grow by (zlib's `max_length`, brotli's
`output_buffer_limit`), and a body past MAX_BODY_BYTES or inflating more than MAX_RATIO times its
encoded size stops with DecodeLimit naming the limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import brotli

from harness.wire.limits import LIMIT, MAX_BODY_BYTES, MAX_RATIO, RATIO_FROM_BYTES, mib

ACCEPT_ENCODING = "gzip, deflate, br"  # what we ask for: the encodings we can inflate within bounds


class DecodeLimit(Exception):
    """The decoded body would pass a limit (size or ratio) or cannot be decoded; one line."""


Layer = Callable[[bytes, int], bytes]  # (input, at most this many bytes out) -> output


def _zlib(wbits: int | None) -> Layer:
    state: dict[str, zlib._Decompress] = {}

    def layer(data: bytes, room: int) -> bytes:
        if "d" not in state:  # deflate: zlib-wrapped as the RFC says, raw as some servers send it
            bits = wbits if wbits is not None else (15 if data[:1] and data[0] & 0x0F == 8 else -15)
            state["d"] = zlib.decompressobj(bits)
        try:
            return state["d"].decompress(data, room)
        except zlib.error as exc:
            raise DecodeLimit(f"the body does not decode: {exc}") from None

    return layer


def _brotli() -> Layer:
    decompressor = brotli.Decompressor()

    def layer(data: bytes, room: int) -> bytes:
        try:
            return decompressor.process(data, output_buffer_limit=room)
        except brotli.error as exc:
            raise DecodeLimit(f"the body does not decode: {exc}") from None

    return layer


_LAYERS: dict[str, Callable[[], Layer]] = {
    "gzip": lambda: _zlib(zlib.MAX_WBITS | 16),
    "x-gzip": lambda: _zlib(zlib.MAX_WBITS | 16),
    "deflate": lambda: _zlib(None),
    "br": _brotli,
}


class BoundedDecoder:
    """Feed it the raw body's chunks; it returns decoded bytes, or raises DecodeLimit."""

    def __init__(self, content_encoding: str, limit: int = MAX_BODY_BYTES) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        unknown = [n for n in names if n not in _LAYERS]
        if unknown:
            raise DecodeLimit(
                f"Content-Encoding {unknown[0]} was not asked for (Accept-Encoding: {ACCEPT_ENCODING})"
            )
        self._layers = [_LAYERS[n]() for n in reversed(names)]  # the last applied is undone first
        self._limit = limit
        self._encoded = 0
        self._decoded = 0

    def decode(self, data: bytes) -> bytes:
        self._encoded += len(data)
        room = self._limit - self._decoded + 1  # one byte more than allowed shows the body is over
        for layer in self._layers:
            data = layer(data, room)
            if len(data) >= room:  # this layer holds more than the body may still grow by
                self._decoded = self._limit + 1
                break
        else:
            self._decoded += len(data)
        if self._decoded > RATIO_FROM_BYTES and self._decoded > MAX_RATIO * self._encoded:
            raise DecodeLimit(
                f"{LIMIT}: decompression bomb: {self._encoded:,} encoded bytes inflate past "
                f"{min(self._decoded, self._limit):,} (over {MAX_RATIO}x), cut there"
            )
        if self._decoded > self._limit:
            what = "decoded body" if self._layers else "response body"
            raise DecodeLimit(f"too large: {what} over {mib(self._limit)}, cut there")
        return data
