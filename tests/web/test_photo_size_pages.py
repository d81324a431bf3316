"""A photo over the single-photo limit is refused on every page that takes photos (operator
intake, the resident's 随手拍, the grid worker's report) with its real size and the limit beside
the photo field; nothing is stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.appeals.models import Appeal
from civicgrid.config import Settings

MB = 1024 * 1024
BIG = PNG + b"\x00" * (int(3.2 * MB) - len(PNG))
MESSAGE = "照片 3.2 MB，超过单张上限 2 MB"
REPORT = {
    "appeal_type": "report",
    "title": "井盖缺失",
    "content": "路口井盖缺失，夜间危险。",
    "lon": "116.45",
    "lat": "39.91",
    "caller_name": "刘洋",
    "caller_phone": "13700002222",
}
PAGES = {
    "operator": ("/appeals/new", {"channel": "hotline", "level": "general", "address": "路口"}),
    "resident": ("/portal/report", {}),
    "grid_a1": ("/grid/report", {}),
}


def _appeals(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Appeal)) or 0


@pytest.mark.parametrize("who", list(PAGES))
def test_an_oversize_photo_is_refused_with_its_size_beside_the_field(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    settings: Settings,
    who: str,
) -> None:
    settings.media_max_bytes = 2 * MB
    csrf = login(who)
    path, extra = PAGES[who]
    data = {**REPORT, **extra, "csrf_token": csrf}
    if who == "grid_a1":
        data["region_id"] = str(world.region_id(MiniTerritory.GRID_A1))
    before = _appeals(session)
    r = client.post(path, data=data, files={"photos": ("big.png", BIG, "image/png")})
    assert r.status_code == 422, r.text[:500]
    assert f'<p class="errors field-error" id="photos-error">{MESSAGE}</p>' in r.text
    assert 'value="井盖缺失"' in r.text
    assert _appeals(session) == before
