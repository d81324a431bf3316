"""A photo over the size limit is refused with its real size and the limit, also when the
upload is read from a stream (the part past the limit is counted, not kept)."""

from __future__ import annotations

import io

import pytest

from civicgrid.errors import Invalid
from civicgrid.media.store import check_image, megabytes, read_photo

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("size", "text"),
    [(2 * MB, "2 MB"), (int(3.2 * MB), "3.2 MB"), (100 * 1024, "0.1 MB"), (1, "0.1 MB")],
)
def test_sizes_read_as_megabytes(size: int, text: str) -> None:
    assert megabytes(size) == text


def test_a_streamed_photo_over_the_limit_states_its_real_size() -> None:
    stream = io.BytesIO(PNG + b"\x00" * (int(3.2 * MB) - len(PNG)))
    with pytest.raises(Invalid) as refused:
        read_photo(stream, max_bytes=2 * MB)
    assert refused.value.message == "照片 3.2 MB，超过单张上限 2 MB"
    assert refused.value.detail == {
        "field": "photos",
        "size_bytes": int(3.2 * MB),
        "max_bytes": 2 * MB,
    }


def test_a_streamed_photo_at_the_limit_is_read_whole() -> None:
    data = PNG + b"\x00" * (2 * MB - len(PNG))
    assert read_photo(io.BytesIO(data), max_bytes=2 * MB) == data


def test_a_photo_in_memory_over_the_limit_states_its_real_size() -> None:
    with pytest.raises(Invalid, match=r"^照片 5 MB，超过单张上限 2 MB$"):
        check_image(PNG + b"\x00" * (5 * MB - len(PNG)), max_bytes=2 * MB)
