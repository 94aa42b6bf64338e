#!/usr/bin/env python3
"""Draws the extension's toolbar icons (extension/icons/icon-<size>.png) without image libraries.

The design: a dark rounded square with three rising bars (the panel's charts) and a red dot (live).
Each pixel is supersampled 4×4 so the small sizes stay smooth. Run it again after changing the shapes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "extension" / "icons"
BACKGROUND = (31, 41, 51)
BAR = (236, 240, 244)
DOT = (211, 47, 47)
SAMPLES = 4


def _inside_rounded(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _colour(x: float, y: float) -> tuple[int, int, int, int] | None:
    """The colour at (x, y) in the unit square, or None outside the icon."""
    if not _inside_rounded(x, y, 0.2):
        return None
    if (x - 0.74) ** 2 + (y - 0.27) ** 2 <= 0.11**2:
        return (*DOT, 255)
    for left, top in ((0.2, 0.62), (0.4, 0.47), (0.6, 0.52)):
        if left <= x <= left + 0.14 and top <= y <= 0.8:
            return (*BAR, 255)
    return (*BACKGROUND, 255)


def _pixel(px: int, py: int, size: int) -> bytes:
    total = [0, 0, 0, 0]
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            found = _colour((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)
            if found is not None:
                for i in range(4):
                    total[i] += found[i] if i < 3 else 255
    count = SAMPLES * SAMPLES
    alpha = total[3] / count
    if alpha == 0:
        return bytes(4)
    return bytes([round(total[i] / (alpha / 255 * count)) for i in range(3)] + [round(alpha)])


def _png(size: int) -> bytes:
    rows = b"".join(b"\x00" + b"".join(_pixel(x, y, size) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 48, 128):
        (OUT / f"icon-{size}.png").write_bytes(_png(size))
        print(f"wrote {OUT / f'icon-{size}.png'}")


if __name__ == "__main__":
    main()
