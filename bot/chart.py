"""A small bar chart as a PNG, drawn without a plotting library.

The weekly digest and ``/stats`` show tickets opened and resolved per day. A plotting library would put tens of
megabytes into the bot's memory for a picture a week, so this draws the bars itself: an RGBA canvas, a 3×5 pixel
font for the numbers (scaled up), and the PNG format written with ``zlib`` (filter 0 on every row). The
background is transparent and the text a middle grey, so the picture reads on Discord's light and dark themes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

__all__ = ("BLUE", "GREEN", "bar_chart", "png")

Colour = tuple[int, int, int, int]

BLUE: Colour = (88, 101, 242, 255)  # Discord's blurple: opened
GREEN: Colour = (87, 242, 135, 255)  # resolved
GREY: Colour = (128, 132, 142, 255)  # axis and numbers: readable on light and dark
CLEAR: Colour = (0, 0, 0, 0)

# 3×5 digits and the few signs a label needs; "1" is drawn centred.
_GLYPHS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
    "-": ("000", "000", "111", "000", "000"),
    "/": ("001", "001", "010", "100", "100"),
    " ": ("000", "000", "000", "000", "000"),
}


class _Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(CLEAR) * width * height)

    def rect(self, x: int, y: int, w: int, h: int, colour: Colour) -> None:
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, self.width), min(y + h, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        row = bytes(colour) * (x1 - x0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 4
            self.pixels[start : start + len(row)] = row

    def text(self, x: int, y: int, text: str, colour: Colour, scale: int) -> None:
        for index, char in enumerate(text):
            glyph = _GLYPHS.get(char, _GLYPHS[" "])
            for gy, line in enumerate(glyph):
                for gx, bit in enumerate(line):
                    if bit == "1":
                        self.rect(x + (index * 4 + gx) * scale, y + gy * scale, scale, scale, colour)


def text_width(text: str, scale: int) -> int:
    return (len(text) * 4 - 1) * scale if text else 0


def png(width: int, height: int, rgba: bytes) -> bytes:
    """Encode RGBA pixels (row after row) as a PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[Colour, Sequence[int]]],
    *,
    width: int = 800,
    height: int = 300,
    scale: int = 3,
) -> bytes:
    """Grouped bars, one group per label (e.g. the day of the month), each bar's value written above it."""
    canvas = _Canvas(width, height)
    glyph_height = 5 * scale
    top, bottom, side = glyph_height + 10, glyph_height + 14, 12
    plot_height = height - top - bottom
    groups = max(len(labels), 1)
    group_width = (width - 2 * side) / groups
    bars = max(len(series), 1)
    bar_width = max(int(group_width * 0.8 / bars), 2)
    peak = max((v for _, values in series for v in values), default=0) or 1
    baseline = top + plot_height
    canvas.rect(side, baseline, width - 2 * side, 2, GREY)
    for index, label in enumerate(labels):
        left = side + int(index * group_width + (group_width - bar_width * bars) / 2)
        for offset, (colour, values) in enumerate(series):
            value = values[index] if index < len(values) else 0
            bar_height = round(plot_height * value / peak)
            x = left + offset * bar_width
            if bar_height:
                canvas.rect(x + 1, baseline - bar_height, bar_width - 2, bar_height, colour)
            number = str(value)
            number_scale = scale if text_width(number, scale) <= bar_width else max(scale - 1, 1)
            canvas.text(
                x + (bar_width - text_width(number, number_scale)) // 2,
                baseline - bar_height - 5 * number_scale - 4,
                number,
                GREY,
                number_scale,
            )
        centre = side + int(index * group_width + group_width / 2)
        canvas.text(centre - text_width(label, scale) // 2, baseline + 8, label, GREY, scale)
    return png(width, height, bytes(canvas.pixels))
