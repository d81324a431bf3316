"""The Open311 clients page (/admin/open311): the list, creating a client whose key is shown
once, revoking it, refusals re-rendered with the message, and admins only."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.web.conftest import LoginAs

from civicgrid.open311 import service
from civicgrid.open311.models import Open311Client

PAGE = "/admin/open311"


def _clients(session: Session) -> list[Open311Client]:
    session.expire_all()
    return list(session.scalars(select(Open311Client).order_by(Open311Client.id)))


def test_an_admin_creates_a_client_and_sees_its_key_once(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "尚无客户端" in page.text
    created = client.post(
        f"{PAGE}/clients", data={"csrf_token": csrf, "name": "随手拍小程序", "rate_limit": "30"}
    )
    assert created.status_code == 200, created.text
    match = re.search(r'id="new-key" value="(o311_[^"]+)"', created.text)
    assert match
    [stored] = _clients(session)
    assert stored.name == "随手拍小程序"
    assert stored.rate_limit_per_minute == 30
    assert stored.key_hash == service.key_hash(match.group(1))
    again = client.get(PAGE)
    assert "随手拍小程序" in again.text
    assert match.group(1) not in again.text


def test_revoking_a_key_redirects_with_a_flash(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    client.post(f"{PAGE}/clients", data={"csrf_token": csrf, "name": "甲"})
    [stored] = _clients(session)
    revoked = client.post(
        f"{PAGE}/clients/{stored.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{PAGE}?done=revoke"
    assert _clients(session)[0].revoked_at is not None
    assert "密钥已吊销" in client.get(revoked.headers["location"]).text
    twice = client.post(f"{PAGE}/clients/{stored.id}/revoke", data={"csrf_token": csrf})
    assert twice.status_code == 409
    assert "已吊销" in twice.text
    unknown = client.post(f"{PAGE}/clients/{stored.id}/delete", data={"csrf_token": csrf})
    assert unknown.status_code == 404


def test_bad_input_is_shown_on_the_form_and_stores_nothing(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("admin")
    for data, needle in (
        ({"name": "  "}, "名称"),
        ({"name": "乙", "rate_limit": "很多"}, "限额"),
        ({"name": "乙", "rate_limit": "0"}, "限额"),
    ):
        response = client.post(f"{PAGE}/clients", data={"csrf_token": csrf, **data})
        assert response.status_code == 422, data
        assert needle in response.text
    assert _clients(session) == []


def test_only_admins_manage_clients(
    client: TestClient, world: World, login: LoginAs, session: Session
) -> None:
    csrf = login("operator")
    assert client.get(PAGE).status_code == 403
    response = client.post(f"{PAGE}/clients", data={"csrf_token": csrf, "name": "丙"})
    assert response.status_code == 403
    assert _clients(session) == []
