"""A handler's own deadline-warning choice (/notices/preference): saved with the address
masked afterwards, a malformed address refused with the reason, and nothing to set without a
post at a unit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.web.conftest import LoginAs

from civicgrid.notify.models import NoticePreference

PAGE = "/notices/preference"


def test_a_handler_chooses_sms_warnings(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("street_a")
    assert "尚未设置" in client.get(PAGE).text
    saved = client.post(
        PAGE,
        data={
            "csrf_token": csrf,
            "channel": "sms",
            "address": "139 1234 5678",
            "deadline_warnings": "1",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "已保存" in page
    assert "13912345678" not in page  # masked
    assert "接收预警" in page
    session.expire_all()
    (row,) = session.scalars(select(NoticePreference)).all()
    assert (row.channel, row.deadline_warnings) == ("sms", True)
    assert "13912345678" not in row.address_enc


def test_a_bad_address_is_refused_with_the_reason(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("department")
    refused = client.post(PAGE, data={"csrf_token": csrf, "channel": "email", "address": "nobody@"})
    assert refused.status_code == 422
    assert "电子邮件地址格式不对" in refused.text
    assert 'value="nobody@"' in refused.text
    session.expire_all()
    assert session.scalars(select(NoticePreference)).all() == []


def test_without_a_unit_post_there_is_nothing_to_set(
    client: TestClient, world: World, login: LoginAs
) -> None:
    login("resident")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "无需设置" in page.text
