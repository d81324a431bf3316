"""Forms that forgive (the grid worker's patrol report): a refusal is shown beside its field and
focused, what was typed and the chosen photo are kept (also after a 403 for a grid that is not
mine), and a repeated post of the same form shows the first report instead of storing twice."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.appeals.models import Appeal, Attachment


def _report(world: World, csrf: str, title: str, grid: str, **more: str) -> dict[str, str]:
    return {
        "appeal_type": "report",
        "title": title,
        "content": "地铁口共享单车堆放，占用盲道。",
        "lon": "116.45",
        "lat": "39.91",
        "region_id": str(world.region_id(grid)),
        "csrf_token": csrf,
        **more,
    }


def _stored(session: Session, title: str) -> int:
    session.expire_all()
    return int(
        session.scalar(select(func.count()).select_from(Appeal).where(Appeal.title == title)) or 0
    )


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no one-time token on the form"
    return match.group(1)


def test_a_missing_photo_is_shown_beside_the_photo_field_and_focused(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("grid_a1")
    r = client.post("/grid/report", data=_report(world, csrf, "垃圾满溢", MiniTerritory.GRID_A1))
    assert r.status_code == 422
    field = re.search(r'<input id="photos"[^>]*>', r.text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "autofocus" in field.group(0)
    assert re.search(r'<p class="errors field-error" id="photos-error">[^<]*须附照片', r.text)
    assert 'value="垃圾满溢"' in r.text


def test_a_grid_outside_mine_keeps_the_photo_and_the_next_post_stores_it(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("grid_a1")
    refused = client.post(
        "/grid/report",
        data=_report(world, csrf, "井盖缺失", MiniTerritory.GRID_A2),
        files={"photos": ("cover.png", PNG, "image/png")},
    )
    assert refused.status_code == 403
    assert 'id="region_id-error"' in refused.text
    assert "只能上报本人负责网格内的问题" in refused.text
    kept = re.findall(r'name="kept_photo" value="([0-9a-f]{32})" checked', refused.text)
    assert len(kept) == 1
    assert _stored(session, "井盖缺失") == 0

    again = client.post(
        "/grid/report",
        data={**_report(world, csrf, "井盖缺失", MiniTerritory.GRID_A1), "kept_photo": kept[0]},
        follow_redirects=False,
    )
    assert again.status_code == 303, again.text
    appeal_id = int(again.headers["location"].split("/")[2].split("?")[0])
    session.expire_all()
    photos = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal_id)
    )
    assert photos == 1


def test_someone_elses_kept_photo_token_is_not_taken(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("grid_a1")
    forged = "0" * 32
    r = client.post(
        "/grid/report",
        data={**_report(world, csrf, "路灯不亮", MiniTerritory.GRID_A1), "kept_photo": forged},
    )
    assert r.status_code == 422
    assert "须附照片" in r.text


def test_posting_the_same_form_twice_stores_one_report_and_shows_it_twice(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("grid_a1")
    token = _token(client.get("/grid/report").text)
    data = _report(world, csrf, "共享单车乱停", MiniTerritory.GRID_A1, form_token=token)
    photo = {"photos": ("bikes.png", PNG, "image/png")}
    first = client.post("/grid/report", data=data, files=photo, follow_redirects=False)
    second = client.post("/grid/report", data=data, files=photo, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert _stored(session, "共享单车乱停") == 1
    fresh = _token(client.get("/grid/report").text)
    assert fresh != token
    third = client.post(
        "/grid/report", data={**data, "form_token": fresh}, files=photo, follow_redirects=False
    )
    assert third.status_code == 303
    assert _stored(session, "共享单车乱停") == 2


def test_a_refused_post_does_not_use_up_its_token(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("grid_a1")
    token = _token(client.get("/grid/report").text)
    data = _report(world, csrf, "树枝折断", MiniTerritory.GRID_A1, form_token=token)
    refused = client.post("/grid/report", data=data)
    assert refused.status_code == 422
    assert _token(refused.text) == token
    ok = client.post(
        "/grid/report",
        data=data,
        files={"photos": ("tree.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert _stored(session, "树枝折断") == 1


# --- the console intake -----------------------------------------------------------------------

INTAKE = {
    "channel": "hotline",
    "appeal_type": "complaint",
    "level": "general",
    "content": "三号楼楼道堆满杂物，影响通行。",
    "caller_name": "王女士",
    "caller_phone": "13900001111",
}


def test_intake_shows_a_missing_content_beside_the_field_and_keeps_the_photo(
    client: TestClient, login: LoginAs, session: Session
) -> None:
    csrf = login("operator")
    r = client.post(
        "/appeals/new",
        data={**INTAKE, "title": "楼道杂物", "content": " ", "csrf_token": csrf},
        files={"photos": ("hall.png", PNG, "image/png")},
    )
    assert r.status_code == 422
    field = re.search(r"<textarea id=\"content\"[^>]*>", r.text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert "autofocus" in field.group(0)
    assert 'id="content-error"' in r.text
    kept = re.findall(r'name="kept_photo" value="([0-9a-f]{32})" checked', r.text)
    assert len(kept) == 1
    ok = client.post(
        "/appeals/new",
        data={**INTAKE, "title": "楼道杂物", "kept_photo": kept[0], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    appeal_id = int(ok.headers["location"].split("/")[2].split("?")[0])
    session.expire_all()
    photos = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal_id)
    )
    assert photos == 1


def test_intake_posted_twice_with_one_form_records_one_appeal(
    client: TestClient, login: LoginAs, session: Session
) -> None:
    csrf = login("operator")
    token = _token(client.get("/appeals/new").text)
    data = {**INTAKE, "title": "重复提交的诉求", "form_token": token, "csrf_token": csrf}
    first = client.post("/appeals/new", data=data, follow_redirects=False)
    second = client.post("/appeals/new", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert _stored(session, "重复提交的诉求") == 1
