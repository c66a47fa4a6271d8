"""The digest's chart: a valid PNG, drawn without a plotting library, whose bars are as tall as their values."""

from __future__ import annotations

import struct
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.chart import BLUE, GREEN, bar_chart


def decode(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGBA rows of a PNG written with filter 0 (what bar_chart writes), checking every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, width, height = 8, b"", 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            assert body[8:10] == b"\x08\x06"  # 8-bit RGBA
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    assert len(raw) == stride * height and all(raw[y * stride] == 0 for y in range(height))
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def column_height(width: int, height: int, pixels: bytes, colour) -> dict[int, int]:
    """For each x, how many pixels of ``colour`` its column has."""
    counts: dict[int, int] = {}
    for y in range(height):
        for x in range(width):
            if tuple(pixels[(y * width + x) * 4 : (y * width + x) * 4 + 4]) == colour:
                counts[x] = counts.get(x, 0) + 1
    return counts


def test_bars_are_as_tall_as_their_values():
    width, height, pixels = decode(bar_chart(["1", "2"], [(BLUE, [10, 5]), (GREEN, [0, 10])], width=200, height=120))
    assert (width, height) == (200, 120)
    blue = column_height(width, height, pixels, BLUE)
    green = column_height(width, height, pixels, GREEN)
    tallest_blue = max(blue.values())
    assert max(green.values()) == tallest_blue  # both tens reach the top of the plot
    left = [h for x, h in blue.items() if x < width // 2]
    right = [h for x, h in blue.items() if x >= width // 2]
    assert max(left) == tallest_blue and abs(max(right) - tallest_blue / 2) <= 1  # 5 is half of 10
    assert not [x for x in green if x < width // 2]  # a zero draws no bar


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=31),
)
def test_any_counts_make_a_valid_picture(days):
    labels = [str(i + 1) for i in range(len(days))]
    data = bar_chart(labels, [(BLUE, [a for a, _ in days]), (GREEN, [b for _, b in days])])
    width, height, pixels = decode(data)
    assert (width, height) == (800, 300) and len(pixels) == 800 * 300 * 4
