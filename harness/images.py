"""PNG bytes and data URIs for vision requests: standard library only, so Locust processes can build
images without loading the generators (and Hypothesis)."""

from __future__ import annotations

import base64
import struct
import zlib


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, pixels: bytes) -> bytes:
    """An 8-bit RGB PNG; `pixels` holds width*height*3 bytes, row by row."""
    if len(pixels) != width * height * 3:
        raise ValueError(f"need {width * height * 3} pixel bytes, got {len(pixels)}")
    stride = width * 3
    # Filter type 0 (none) in front of every row.
    raw = b"".join(b"\x00" + pixels[row * stride : (row + 1) * stride] for row in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # depth 8, colour type 2 (RGB)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )
