"""The notices API (/api/v1/notices): templates (admins), opt-outs (the centre) and each staff
member's own deadline-warning preference; bad input gets 422 and stores nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World

from civicgrid.notify.models import NoticeOptOut, NoticePreference, NoticeTemplate

BASE = "/api/v1/notices"


def _count(session: Session, model: type[object]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_admins_edit_and_reset_templates(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["admin"].headers
    listed = client.get(f"{BASE}/templates", headers=headers).json()
    assert [t["kind"] for t in listed] == ["tracking_number", "reply_ready", "deadline_warning"]
    assert not any(t["customised"] for t in listed)
    saved = client.put(
        f"{BASE}/templates/reply_ready",
        json={"subject": "答复通知", "body": "工单{number}已答复，请查询。"},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["customised"] is True
    reset = client.delete(f"{BASE}/templates/reply_ready", headers=headers)
    assert reset.json()["customised"] is False
    assert _count(session, NoticeTemplate) == 0


def test_bad_templates_get_422_or_404_and_store_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["admin"].headers
    unknown = client.put(
        f"{BASE}/templates/reply_ready",
        json={"subject": "答复", "body": "{caller_name}您好"},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert "未知的占位符：{caller_name}" in unknown.json()["detail"]
    missing = client.put(
        f"{BASE}/templates/birthday", json={"subject": "a", "body": "b"}, headers=headers
    )
    assert missing.status_code == 404
    refused = client.put(
        f"{BASE}/templates/reply_ready",
        json={"subject": "a", "body": "b"},
        headers=world["operator"].headers,
    )
    assert refused.status_code == 403
    assert _count(session, NoticeTemplate) == 0


def test_the_centre_records_an_opt_out_once(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["operator"].headers
    first = client.post(f"{BASE}/opt-outs", json={"address": "13812345678"}, headers=headers)
    again = client.post(f"{BASE}/opt-outs", json={"address": "138 1234 5678"}, headers=headers)
    assert (first.json(), again.json()) == ({"recorded": True}, {"recorded": False})
    bad = client.post(f"{BASE}/opt-outs", json={"address": "call me"}, headers=headers)
    assert bad.status_code == 422
    assert "手机号码格式不对" in bad.json()["detail"]
    resident = client.post(
        f"{BASE}/opt-outs", json={"address": "13812345678"}, headers=world["resident"].headers
    )
    assert resident.status_code == 403
    assert _count(session, NoticeOptOut) == 1


def test_staff_set_their_own_warning_preference(
    client: TestClient, world: World, session: Session
) -> None:
    headers = world["street_a"].headers
    assert client.get(f"{BASE}/preference", headers=headers).status_code == 404
    saved = client.put(
        f"{BASE}/preference",
        json={"channel": "sms", "address": "13912345678", "deadline_warnings": True},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    read = client.get(f"{BASE}/preference", headers=headers).json()
    assert read["address"] != "13912345678"  # masked
    assert read["address"].startswith("139")
    assert read["units"] == [f"region:{world.street_a[1]}"]
    bad = client.put(
        f"{BASE}/preference",
        json={"channel": "pigeon", "address": "x", "deadline_warnings": True},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "未知的通知渠道" in bad.json()["detail"]
    assert _count(session, NoticePreference) == 1
