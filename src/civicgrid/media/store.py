"""Media storage and image checks. Images are recognised by their content, never by the
file name or the declared content type."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import IO, Any, Protocol

from PIL import Image, ImageOps

from civicgrid.errors import Invalid, NotFound

IMAGE_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
# Pillow's format name and save options per accepted type (re-encoding keeps the type).
_ENCODINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "image/jpeg": ("JPEG", {"quality": 90, "optimize": True}),
    "image/png": ("PNG", {"optimize": True}),
    "image/webp": ("WEBP", {"quality": 90, "method": 4}),
}
# Larger images are refused before decoding (a small file can unpack into gigabytes).
MAX_PIXELS = 40_000_000


def sniff_image(data: bytes) -> str | None:
    """The content type of a JPEG, PNG or WebP image judged by its magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


_MB = 1024 * 1024
_CHUNK = 1 << 20


def megabytes(size: int) -> str:
    """A byte count as the MB figure people read: ``3.2 MB``, ``2 MB``; at least ``0.1 MB``."""
    figure = f"{max(size / _MB, 0.1):.1f}"
    return f"{figure.removesuffix('.0')} MB"


def photo_too_large(size: int, max_bytes: int) -> Invalid:
    """The refusal of one photo over the limit, stating its real size and the limit."""
    return Invalid(
        f"照片 {megabytes(size)}，超过单张上限 {megabytes(max_bytes)}",
        detail={"field": "photos", "size_bytes": size, "max_bytes": max_bytes},
    )


def read_photo(stream: IO[bytes], *, max_bytes: int) -> bytes:
    """Read one uploaded photo. A photo over ``max_bytes`` is refused with its real size: the
    rest of it is counted in chunks, never held in memory."""
    data = stream.read(max_bytes + 1)
    if len(data) <= max_bytes:
        return data
    size = len(data)
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
    raise photo_too_large(size, max_bytes)


def check_image(data: bytes, *, max_bytes: int) -> str:
    """Validate an uploaded photo; returns its content type or raises Invalid."""
    if not data:
        raise Invalid("照片为空")
    if len(data) > max_bytes:
        raise photo_too_large(len(data), max_bytes)
    content_type = sniff_image(data)
    if content_type is None:
        raise Invalid("只接受 JPEG、PNG 或 WebP 图片")
    return content_type


def clean_image(data: bytes, *, max_bytes: int) -> tuple[bytes, str]:
    """Check an uploaded photo and re-encode it: ``(clean bytes, content type)``.

    Decoding and encoding again with Pillow keeps the pixels (turned upright by their EXIF
    orientation) and drops everything else: EXIF (GPS location, camera serial), comments and
    any data appended after the image. Raises Invalid for what is not a decodable JPEG, PNG or
    WebP image of at most :data:`MAX_PIXELS`."""
    content_type = check_image(data, max_bytes=max_bytes)
    fmt, options = _ENCODINGS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                megapixels = MAX_PIXELS // 1_000_000
                raise Invalid(
                    f"图片像素过多：{opened.width}×{opened.height}，上限 {megapixels} 百万像素"
                )
            image = ImageOps.exif_transpose(opened)
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, fmt, **options)
    except Invalid:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid("图片已损坏或无法解码") from exc
    return out.getvalue(), content_type


class MediaStore(Protocol):
    """Where media bytes live; keys are opaque strings stored beside the owning row."""

    def save(self, data: bytes, content_type: str) -> str: ...

    def load(self, key: str) -> bytes: ...


class LocalMediaStore:
    """Files under a folder (default ``var/media``), named by their SHA-256 (deduplicated)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, content_type: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}{IMAGE_TYPES.get(content_type, '.bin')}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def load(self, key: str) -> bytes:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise NotFound("附件不存在")
        return path.read_bytes()
