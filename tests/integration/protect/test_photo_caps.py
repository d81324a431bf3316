"""Photos are re-encoded before they are stored, and one appeal holds at most so many photos
and bytes (the cap counts the photos it already has)."""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import JPEG, PNG, World, make_world, submit

from civicgrid.appeals import service
from civicgrid.appeals.models import Attachment
from civicgrid.errors import Invalid


@pytest.fixture
def world(session: Session, now: datetime, tmp_path: Path) -> World:
    w = make_world(session, now=now, media_root=tmp_path / "media")
    session.commit()
    return w


def _photos(session: Session, appeal_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal_id)
        )
        or 0
    )


def test_a_stored_photo_is_the_re_encoded_one(
    session: Session, world: World, now: datetime
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "LeakyCam"
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "JPEG", exif=exif)
    appeal = submit(session, world, now=now, photos=(out.getvalue() + b"appended",))
    row = session.execute(select(Attachment).where(Attachment.appeal_id == appeal.id)).scalar_one()
    stored = world.media.store.load(row.media_key)
    assert b"LeakyCam" not in stored
    assert b"appended" not in stored
    assert row.size_bytes == len(stored)


def test_photos_beyond_the_per_appeal_count_are_refused(
    session: Session, world: World, now: datetime
) -> None:
    world.media = dataclasses.replace(world.media, max_photos_per_appeal=3)
    appeal = submit(session, world, now=now, photos=(PNG, JPEG))
    with pytest.raises(Invalid, match="最多 3 张照片，已有 2 张"):
        service.add_attachment(
            session,
            appeal_id=appeal.id,
            photos=[PNG, JPEG],
            media=world.media,
            actor=world.actor("operator"),
            now=now,
        )
    assert _photos(session, appeal.id) == 2
    service.add_attachment(
        session,
        appeal_id=appeal.id,
        photos=[PNG],
        media=world.media,
        actor=world.actor("operator"),
        now=now,
    )
    assert _photos(session, appeal.id) == 3


def test_photos_beyond_the_per_appeal_bytes_are_refused_with_the_real_total(
    session: Session, world: World, now: datetime
) -> None:
    world.media = dataclasses.replace(world.media, max_bytes_per_appeal=2 * len(PNG))
    appeal = submit(session, world, now=now, photos=(PNG,))
    total_mb = 3 * len(PNG) / 1048576  # the PNG re-encodes to itself
    with pytest.raises(Invalid, match=f"照片总大小将达 {total_mb:.1f} MB"):
        service.add_attachment(
            session,
            appeal_id=appeal.id,
            photos=[PNG, PNG],
            media=world.media,
            actor=world.actor("operator"),
            now=now,
        )
    assert _photos(session, appeal.id) == 1
