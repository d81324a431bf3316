"""The resident's 随手拍 report forgives like the grid worker's patrol report: every refusal in
Chinese beside its field with the first focused, what was typed and the chosen photos kept, and
a one-time form token so Back + submit shows the first report instead of storing a second."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World
from tests.web.conftest import LoginAs

from civicgrid.appeals.models import Appeal, Attachment

REPORT = {
    "appeal_type": "help",
    "content": "小区东门路灯连续三晚不亮。",
    "lon": "116.4501",
    "lat": "39.9102",
    "caller_name": "刘洋",
    "caller_phone": "13700002222",
}


def _stored(session: Session, title: str) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(Appeal.id).where(Appeal.title == title)))


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no one-time token on the form"
    return match.group(1)


def _kept(html: str) -> list[str]:
    return re.findall(r'name="kept_photo" value="([0-9a-f]{32})" checked', html)


def _photos(session: Session, appeal_id: int) -> int:
    session.expire_all()
    return int(
        session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.appeal_id == appeal_id)
        )
        or 0
    )


def test_every_refusal_stands_beside_its_field_and_the_first_is_focused(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("resident")
    token = _token(client.get("/portal/report").text)
    r = client.post(
        "/portal/report",
        data={
            **REPORT,
            "title": "路灯不亮",
            "appeal_type": "nonsense",
            "lon": "东经",
            "caller_phone": "123",
            "form_token": token,
            "csrf_token": csrf,
        },
        files={"photos": ("lamp.png", PNG, "image/png")},
    )
    assert r.status_code == 422
    summary = re.search(r'<div class="errors" role="alert" id="form-errors".*?</div>', r.text, re.S)
    assert summary is not None
    for field in ("appeal_type", "lon", "caller_phone"):
        assert f'href="#{field}"' in summary.group(0), field
        assert f'id="{field}-error"' in r.text, field
    assert "请从列表中选择诉求类型" in r.text
    assert "经纬度须为数字" in r.text
    assert "请填写手机号码" in r.text
    first = re.search(r'<select id="appeal_type"[^>]*>', r.text)
    assert first is not None
    assert "autofocus" in first.group(0)
    assert 'aria-invalid="true"' in first.group(0)
    assert r.text.count("autofocus") == 1
    assert 'value="路灯不亮"' in r.text
    assert "小区东门路灯连续三晚不亮。" in r.text
    assert _token(r.text) == token
    assert len(_kept(r.text)) == 1, "the chosen photo is kept for the next post"


def test_a_kept_photo_goes_with_the_corrected_post(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("resident")
    token = _token(client.get("/portal/report").text)
    data = {**REPORT, "title": "井盖松动", "form_token": token, "csrf_token": csrf}
    refused = client.post(
        "/portal/report",
        data={**data, "caller_phone": ""},
        files={"photos": ("cover.png", PNG, "image/png")},
    )
    assert refused.status_code == 422
    assert re.search(r'<input id="caller_phone"[^>]*autofocus', refused.text)
    kept = _kept(refused.text)
    assert len(kept) == 1
    assert _stored(session, "井盖松动") == []

    ok = client.post("/portal/report", data={**data, "kept_photo": kept[0]}, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    [appeal_id] = _stored(session, "井盖松动")
    assert ok.headers["location"] == f"/portal/appeals/{appeal_id}?done=submit"
    assert _photos(session, appeal_id) == 1


def test_a_photo_kept_for_someone_else_is_not_taken(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("resident")
    r = client.post(
        "/portal/report",
        data={**REPORT, "title": "占道经营", "kept_photo": "0" * 32, "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert re.search(r'<p class="errors field-error" id="photos-error">[^<]*须附照片', r.text)
    assert _kept(r.text) == []
    assert _stored(session, "占道经营") == []


def test_back_and_submit_again_shows_the_first_report_and_stores_one(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("resident")
    token = _token(client.get("/portal/report").text)
    data = {**REPORT, "title": "垃圾桶满溢", "form_token": token, "csrf_token": csrf}
    photo = {"photos": ("bin.png", PNG, "image/png")}
    first = client.post("/portal/report", data=data, files=photo, follow_redirects=False)
    second = client.post("/portal/report", data=data, files=photo, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert len(_stored(session, "垃圾桶满溢")) == 1
    shown = client.get(second.headers["location"])
    assert "已提交，工单编号" in shown.text

    fresh = _token(client.get("/portal/report").text)
    assert fresh != token
    third = client.post(
        "/portal/report", data={**data, "form_token": fresh}, files=photo, follow_redirects=False
    )
    assert third.status_code == 303
    assert len(_stored(session, "垃圾桶满溢")) == 2


def test_a_refused_post_does_not_use_up_its_token(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("resident")
    token = _token(client.get("/portal/report").text)
    data = {**REPORT, "title": "路面塌陷", "form_token": token, "csrf_token": csrf}
    refused = client.post("/portal/report", data=data)
    assert refused.status_code == 422
    assert _token(refused.text) == token
    ok = client.post(
        "/portal/report",
        data=data,
        files={"photos": ("road.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert len(_stored(session, "路面塌陷")) == 1
