"""Uploaded photos are re-encoded: EXIF (location), comments and appended data are dropped,
the picture is turned upright, and what cannot be decoded is refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civicgrid.errors import Invalid
from civicgrid.media.store import MAX_PIXELS, clean_image

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _with_location(width: int = 12, height: int = 8, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "LeakyCam"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    return _encode(Image.new("RGB", (width, height), (200, 30, 30)), "JPEG", exif=exif)


def test_exif_location_and_appended_data_are_dropped() -> None:
    original = _with_location() + b"<?php appended(); ?>"
    cleaned, content_type = clean_image(original, max_bytes=1_000_000)
    assert content_type == "image/jpeg"
    assert b"LeakyCam" in original
    assert b"LeakyCam" not in cleaned
    assert b"appended" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (12, 8)
        assert not image.getexif()


def test_the_picture_is_turned_upright_by_its_orientation() -> None:
    cleaned, _ = clean_image(_with_location(12, 8, orientation=6), max_bytes=1_000_000)
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (8, 12)


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_keep_their_type(fmt: str, content_type: str) -> None:
    data = _encode(Image.new("RGBA", (6, 6), (0, 128, 0, 128)), fmt)
    cleaned, kept = clean_image(data + b"trailing", max_bytes=1_000_000)
    assert kept == content_type
    assert b"trailing" not in cleaned


def test_a_file_with_image_magic_that_does_not_decode_is_refused() -> None:
    with pytest.raises(Invalid, match="无法解码"):
        clean_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, max_bytes=1_000_000)


def test_an_image_with_too_many_pixels_is_refused_before_decoding() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    bomb = _encode(Image.new("1", (side, side)), "PNG")
    assert len(bomb) < 1_000_000
    with pytest.raises(Invalid, match="像素过多"):
        clean_image(bomb, max_bytes=1_000_000)
