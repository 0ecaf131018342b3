"""The tiny images are real files: PNG chunks, CRCs and pixels; GIF and JPEG structure; data URIs."""

from __future__ import annotations

import base64
import re
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.generate.images import MAX_SIDE, MIN_SIDE, gif_bytes, image_data_uris, images, jpeg_bytes
from harness.images import data_uri, png_bytes

DATA_URI = re.compile(r"^data:(image/(?:png|jpeg|gif));base64,([A-Za-z0-9+/]+={0,2})$")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC on {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB pixels of an unfiltered 8-bit RGB PNG (what png_bytes writes)."""
    chunks = png_chunks(data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + width * 3
    assert len(raw) == stride * height
    rows = [raw[i * stride : (i + 1) * stride] for i in range(height)]
    assert all(row[0] == 0 for row in rows)  # filter type "none"
    return width, height, b"".join(row[1:] for row in rows)


def test_png_round_trips_its_pixels() -> None:
    pixels = bytes(i * 7 % 256 for i in range(12 * 9 * 3))
    assert decode_png(png_bytes(12, 9, pixels)) == (12, 9, pixels)


def test_png_rejects_the_wrong_pixel_count() -> None:
    with pytest.raises(ValueError, match="pixel bytes"):
        png_bytes(2, 2, b"\x00" * 11)


def test_gif_structure() -> None:
    palette = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9)]
    data = gif_bytes(5, 3, palette, bytes(i % 4 for i in range(15)))
    assert data[:6] == b"GIF89a"
    assert struct.unpack("<HH", data[6:10]) == (5, 3)
    assert data[10] & 0x80 and (data[10] & 0x07) == 1  # global table of 4 colours
    assert data[13:25] == bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
    assert data[25] == 0x2C and struct.unpack("<HHHH", data[26:34]) == (0, 0, 5, 3)
    assert data[35] == 2  # LZW minimum code size
    pos = 36
    while data[pos]:  # walk the sub-blocks to the terminator
        pos += 1 + data[pos]
    assert data[pos + 1 :] == b"\x3b"
    with pytest.raises(ValueError):
        gif_bytes(2, 2, palette, bytes([0, 1, 2, 4]))


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    segments, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segments.append((marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            scan = data[pos:-2]
            # Entropy-coded data: every 0xFF must be stuffed with 0x00.
            assert all(scan[i + 1] == 0 for i in range(len(scan)) if scan[i] == 0xFF)
            return segments


def test_jpeg_structure() -> None:
    data = jpeg_bytes(17, 9, [(255, 0, 0)] * 6)  # 3 x 2 blocks
    segments = jpeg_segments(data)
    assert [marker for marker, _ in segments] == [0xE0, 0xDB, 0xC0, 0xC4, 0xDA]
    assert segments[0][1].startswith(b"JFIF\x00")
    precision, height, width, components = struct.unpack(">BHHB", segments[2][1][:6])
    assert (precision, height, width, components) == (8, 9, 17, 3)
    with pytest.raises(ValueError, match="block colours"):
        jpeg_bytes(17, 9, [(0, 0, 0)] * 5)


@settings(max_examples=30, deadline=None)
@given(images())
def test_generated_images_are_well_formed(image: tuple[str, bytes]) -> None:
    mime, data = image
    if mime == "image/png":
        width, height, _ = decode_png(data)
    elif mime == "image/gif":
        width, height = struct.unpack("<HH", data[6:10])
    else:
        _, height, width, _ = struct.unpack(">BHHB", dict(jpeg_segments(data))[0xC0][:6])
    assert MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE


@settings(max_examples=30, deadline=None)
@given(image_data_uris())
def test_data_uris_are_well_formed(uri: str) -> None:
    match = DATA_URI.match(uri)
    assert match, uri[:60]
    data = base64.b64decode(match.group(2), validate=True)
    magic = {"image/png": b"\x89PNG", "image/gif": b"GIF89a", "image/jpeg": b"\xff\xd8"}[match.group(1)]
    assert data.startswith(magic)


@given(st.binary(max_size=64))
def test_data_uri_encodes_base64(data: bytes) -> None:
    assert data_uri("image/png", data) == "data:image/png;base64," + base64.b64encode(data).decode()
