"""The API refuses a photo over the single-photo limit with its real size and the limit, both
as a multipart upload (read from the stream, the rest counted) and as base64 in the intake
body; nothing is stored."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal

from civicgrid.appeals.models import Appeal, Attachment
from civicgrid.appeals.states import AppealStatus
from civicgrid.config import Settings

BASE = "/api/v1/appeals"
MB = 1024 * 1024
BIG = PNG + b"\x00" * (int(3.2 * MB) - len(PNG))
MESSAGE = "照片 3.2 MB，超过单张上限 2 MB"


def _count(session: Session, model: type[Appeal] | type[Attachment]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_oversize_uploaded_photo_states_its_real_size(
    client: TestClient, world: World, session: Session, settings: Settings, now: datetime
) -> None:
    settings.media_max_bytes = 2 * MB
    appeal = make_appeal(session, world=world, now=now, status=AppealStatus.SIGNED)
    session.commit()
    files = [("files", ("a.png", PNG, "image/png")), ("files", ("big.png", BIG, "image/png"))]
    r = client.post(
        f"{BASE}/{appeal.id}/attachments", files=files, headers=world["street_a"].headers
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == MESSAGE
    assert _count(session, Attachment) == 0


def test_an_oversize_base64_photo_in_the_intake_states_its_real_size(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    settings.media_max_bytes = 2 * MB
    before = _count(session, Appeal)
    body = {
        "channel": "snapshot",
        "appeal_type": "report",
        "title": "井盖缺失",
        "content": "路口井盖缺失",
        "lon": 116.45,
        "lat": 39.91,
        "photos": [base64.b64encode(BIG).decode()],
    }
    r = client.post(BASE, json=body, headers=world["resident"].headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == MESSAGE
    assert _count(session, Appeal) == before
