"""Image content parts: check base64 data URIs and count the prompt tokens an image costs.

Token counts follow OpenAI's published formula for GPT-4o-class models: detail "low" costs 85
tokens; otherwise the image is scaled to fit 2048x2048, then so its short side is at most 768, and
costs 85 + 170 per 512x512 tile. URLs are never fetched, so a URL image (and a JPEG, GIF or WebP,
whose size is not read) is counted as a 1024x1024 image: 765 tokens with detail high or auto.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
import zlib

LOW_DETAIL_TOKENS = 85
TILE_TOKENS = 170
UNKNOWN_SIZE = (1024, 1024)

_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


class BadImage(ValueError):
    """A data URI that does not hold the image it claims to."""


def image_tokens(url: str, detail: str, check_data: bool = True) -> int:
    """Prompt tokens for one image_url part; raises BadImage for a malformed data URI.

    `check_data` False skips the checks (the vision_accept_bad_data_uri defect).
    """
    size = UNKNOWN_SIZE
    if url.startswith("data:") and check_data:
        size = _data_uri_size(url) or UNKNOWN_SIZE
    return LOW_DETAIL_TOKENS if detail == "low" else tile_tokens(*size)


def tile_tokens(width: int, height: int) -> int:
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return LOW_DETAIL_TOKENS + TILE_TOKENS * math.ceil(width / 512) * math.ceil(height / 512)


def _data_uri_size(url: str) -> tuple[int, int] | None:
    """Decode and check a data URI; the PNG's width and height, None for other formats."""
    header, _, payload = url.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        raise BadImage("image data URIs must look like data:image/<png|jpeg|gif|webp>;base64,<data>")
    claimed = header[len("data:image/") : -len(";base64")]
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadImage("the image data is not valid base64") from None
    actual = _format(data)
    if actual is None:
        raise BadImage("the image data is not a PNG, JPEG, GIF or WebP image")
    if actual != claimed:
        raise BadImage(f"the data URI says image/{claimed} but the data is a {actual.upper()} image")
    if actual != "png":
        return None
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise BadImage("the PNG image is truncated (no IHDR header)")
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0:
        raise BadImage("the PNG image has a zero width or height")
    _check_png_chunks(data)
    return width, height


def _check_png_chunks(data: bytes) -> None:
    """Walk the chunks as a decoder would: each whole with a matching CRC, ending at IEND."""
    at = len(_MAGIC["png"][0])
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 8 + length
        if end + 4 > len(data):
            break
        if zlib.crc32(data[at + 4 : end]) != struct.unpack(">I", data[end : end + 4])[0]:
            raise BadImage(f"the PNG image is corrupt (bad CRC in its {kind.decode('latin-1')} chunk)")
        if kind == b"IEND":
            return
        at = end + 4
    raise BadImage("the PNG image is truncated (no IEND chunk)")


def _format(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((name for name, magics in _MAGIC.items() if data.startswith(magics)), None)
