"""The photos of 随手拍 and patrol reports: small generated PNGs, so the demo's photos are real
images."""

from __future__ import annotations

import struct
import zlib


def _png(rgb: tuple[int, int, int], width: int = 48, height: int = 36) -> bytes:
    """A small PNG: a two-tone image, so the demo's photos are real images."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    dark = tuple(max(0, c - 60) for c in rgb)
    rows = b"".join(
        b"\x00" + b"".join(bytes(dark if y > height * 2 // 3 else rgb) for _ in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PHOTOS = tuple(_png(c) for c in ((120, 130, 140), (90, 140, 90), (170, 150, 110), (110, 120, 170)))
