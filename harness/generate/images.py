"""Tiny real images (PNG, GIF, baseline JPEG) built byte by byte, and data URIs for vision requests
(the PNG encoder and data URIs live in harness.images, which loads no Hypothesis).

Real files rather than placeholder bytes: an endpoint that decodes its images must accept these, so
a rejection is the endpoint's fault. Each encoder writes the simplest valid form of its format:
PNG unfiltered RGB, GIF with an uncompressed LZW stream (a clear code every two pixels keeps the
code width at 3 bits), JPEG with one flat colour per 8x8 block (DC coefficients only).
"""

from __future__ import annotations

import struct

from hypothesis import strategies as st

from harness.images import data_uri, png_bytes

# The sample image OpenAI's vision guide uses: public and stable, for the image-URL parts. A mock
# never fetches it; a live endpoint that fetches URLs may.
SAMPLE_IMAGE_URL = (
    "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/"
    "2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
)

RGB = tuple[int, int, int]

# Small enough to stay cheap, big enough that no image preprocessor chokes on a 1-pixel side.
MIN_SIDE, MAX_SIDE = 8, 32


# --- GIF ---------------------------------------------------------------------------------------

_GIF_MIN_CODE_SIZE = 2  # 4-colour palette: literals 0-3, clear 4, end 5, 3-bit codes
_GIF_CLEAR, _GIF_END, _GIF_CODE_BITS = 4, 5, 3


def gif_bytes(width: int, height: int, palette: list[RGB], indices: bytes) -> bytes:
    """A GIF89a with a 4-colour global palette; `indices` holds one palette index (0-3) per pixel."""
    if len(palette) != 4 or len(indices) != width * height or max(indices, default=0) > 3:
        raise ValueError("need a 4-colour palette and one index 0-3 per pixel")
    codes = [_GIF_CLEAR]
    for i, index in enumerate(indices):
        # Two literals after a clear add one table entry (code 6): the width stays 3 bits.
        if i and i % 2 == 0:
            codes.append(_GIF_CLEAR)
        codes.append(index)
    codes.append(_GIF_END)
    bits = 0
    for shift, code in enumerate(codes):  # LZW codes are packed least significant bit first
        bits |= code << (shift * _GIF_CODE_BITS)
    stream = bits.to_bytes((len(codes) * _GIF_CODE_BITS + 7) // 8, "little")
    sub_blocks = b"".join(
        bytes([len(stream[i : i + 255])]) + stream[i : i + 255] for i in range(0, len(stream), 255)
    )
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x81, 0, 0)  # global table of 2^(1+1)
    colours = b"".join(bytes(rgb) for rgb in palette)
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    return (
        header
        + colours
        + descriptor
        + bytes([_GIF_MIN_CODE_SIZE])
        + sub_blocks
        + b"\x00"  # end of image data
        + b"\x3b"  # trailer
    )


# --- JPEG --------------------------------------------------------------------------------------


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _ycbcr(rgb: RGB) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(min(255, max(0, round(v))) for v in (y, cb, cr))  # type: ignore[return-value]


class _BitWriter:
    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def write(self, value: int, width: int) -> None:
        self.value = (self.value << width) | (value & ((1 << width) - 1))
        self.count += width

    def flush(self) -> bytes:
        pad = -self.count % 8  # pad with 1-bits, as the standard asks
        self.write((1 << pad) - 1, pad)
        data = self.value.to_bytes(self.count // 8, "big") if self.count else b""
        return data.replace(b"\xff", b"\xff\x00")  # byte stuffing


def jpeg_bytes(width: int, height: int, block_colours: list[RGB]) -> bytes:
    """A baseline YCbCr JPEG in which each 8x8 block (raster order) is one flat colour."""
    blocks = -(-width // 8) * -(-height // 8)
    if len(block_colours) != blocks:
        raise ValueError(f"need {blocks} block colours, got {len(block_colours)}")
    # Quantisation 1 everywhere: a flat block's DC coefficient is 8 * (value - 128), no rounding.
    dqt = b"\x00" + b"\x01" * 64
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([c, 0x11, 0]) for c in (1, 2, 3))
    # DC table: categories 0-11, all 4-bit codes (canonical codes 0000-1011, so code == category).
    dc_counts = bytes(16)[:3] + bytes([12]) + bytes(12)
    # AC table: only end-of-block, code "0".
    ac_counts = bytes([1]) + bytes(15)
    dht = b"\x00" + dc_counts + bytes(range(12)) + b"\x10" + ac_counts + b"\x00"
    sos = bytes([3]) + b"".join(bytes([c, 0x00]) for c in (1, 2, 3)) + bytes([0, 63, 0])
    bits = _BitWriter()
    previous = [0, 0, 0]
    for colour in block_colours:
        for component, value in enumerate(_ycbcr(colour)):
            dc = 8 * (value - 128)
            diff, previous[component] = dc - previous[component], dc
            category = abs(diff).bit_length()
            bits.write(category, 4)
            bits.write(diff if diff >= 0 else diff + (1 << category) - 1, category)
            bits.write(0, 1)  # end of block: every AC coefficient is zero
    jfif = b"JFIF\x00\x01\x01\x00" + struct.pack(">HH", 1, 1) + b"\x00\x00"
    return (
        b"\xff\xd8"
        + _segment(0xE0, jfif)
        + _segment(0xDB, dqt)
        + _segment(0xC0, sof)
        + _segment(0xC4, dht)
        + _segment(0xDA, sos)
        + bits.flush()
        + b"\xff\xd9"
    )


# --- strategies --------------------------------------------------------------------------------

_sides = st.integers(MIN_SIDE, MAX_SIDE)
_colours = st.tuples(*[st.integers(0, 255)] * 3)


@st.composite
def _pngs(draw: st.DrawFn) -> bytes:
    width, height = draw(_sides), draw(_sides)
    pixels = draw(st.binary(min_size=width * height * 3, max_size=width * height * 3))
    return png_bytes(width, height, pixels)


@st.composite
def _gifs(draw: st.DrawFn) -> bytes:
    width, height = draw(_sides), draw(_sides)
    palette = draw(st.lists(_colours, min_size=4, max_size=4))
    noise = draw(st.binary(min_size=width * height, max_size=width * height))
    return gif_bytes(width, height, palette, bytes(byte & 3 for byte in noise))


@st.composite
def _jpegs(draw: st.DrawFn) -> bytes:
    width, height = draw(_sides), draw(_sides)
    blocks = -(-width // 8) * -(-height // 8)
    return jpeg_bytes(width, height, draw(st.lists(_colours, min_size=blocks, max_size=blocks)))


def images() -> st.SearchStrategy[tuple[str, bytes]]:
    """(MIME type, bytes) of a tiny real PNG, JPEG or GIF."""
    return st.one_of(
        _pngs().map(lambda data: ("image/png", data)),
        _jpegs().map(lambda data: ("image/jpeg", data)),
        _gifs().map(lambda data: ("image/gif", data)),
    )


def image_data_uris() -> st.SearchStrategy[str]:
    """`data:image/...;base64,...` URIs of tiny real images."""
    return images().map(lambda image: data_uri(*image))
