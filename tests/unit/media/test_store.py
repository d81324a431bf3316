from pathlib import Path

import pytest

from civicgrid.errors import Invalid, NotFound
from civicgrid.media.store import LocalMediaStore, check_image, sniff_image

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (b"GIF89a....", None)],
)
def test_images_are_recognised_by_their_content(data: bytes, expected: str | None) -> None:
    assert sniff_image(data) == expected


def test_a_text_file_named_like_a_photo_is_refused() -> None:
    with pytest.raises(Invalid, match="JPEG"):
        check_image(b"<html>not a photo</html>", max_bytes=1000)


def test_an_oversize_photo_is_refused_with_the_limit_in_the_message() -> None:
    with pytest.raises(Invalid, match="上限"):
        check_image(PNG + b"\x00" * 2000, max_bytes=1000)


def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(Invalid, match="为空"):
        check_image(b"", max_bytes=1000)


def test_local_store_round_trips_and_deduplicates(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    key = store.save(PNG, "image/png")
    assert key.endswith(".png")
    assert store.save(PNG, "image/png") == key
    assert store.load(key) == PNG


def test_local_store_refuses_keys_outside_its_folder(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    (tmp_path / "secret.txt").write_text("x")
    with pytest.raises(NotFound):
        store.load("../secret.txt")
