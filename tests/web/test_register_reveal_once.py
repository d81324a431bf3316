"""The register's reveal (查看完整身份信息) is safe to reload: the answer is not cached and the
form's one-time token makes a re-post of the same form answer "已查看，请重新申请" without
revealing or auditing again; a refused post (no reason) leaves the token usable."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import id_number, make_house, make_resident
from tests.web.conftest import LoginAs

from civicgrid.audit.models import AuditEntry
from civicgrid.register import service as register_service
from civicgrid.register.models import Resident

PHONE = "13812349876"
REASON = "核实低保申请材料"


@pytest.fixture
def person(session: Session, world: World, now: datetime) -> Resident:
    register_service.ensure_default_tags(session, actor=SYSTEM, now=now)
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, address="幸福路8号院")
    return make_resident(session, house=house, now=now, name="李明", id_no=id_number(), phone=PHONE)


def _reveal_token(html: str) -> str:
    form = html[html.index('action="/register/residents/') :]
    found = re.search(r'name="form_token" value="([^"]+)"', form)
    assert found is not None
    return found.group(1)


def _reveals(session: Session) -> int:
    session.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.action == "register.resident.reveal")
    return len(session.scalars(stmt).all())


def test_reposting_the_same_reveal_form_does_not_reveal_or_audit_again(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    csrf = login("street_a")
    page = f"/register/residents/{person.id}"
    token = _reveal_token(client.get(page).text)
    data = {"csrf_token": csrf, "reason": REASON, "form_token": token}

    shown = client.post(f"{page}/reveal", data=data)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert PHONE in shown.text
    assert _reveals(session) == 1

    reloaded = client.post(f"{page}/reveal", data=data)  # the browser's reload re-posts
    assert reloaded.status_code == 409
    assert reloaded.headers["cache-control"] == "no-store"
    assert "已查看，请重新申请" in reloaded.text
    assert PHONE not in reloaded.text
    assert "李明" not in reloaded.text
    assert _reveals(session) == 1

    # A new application (a fresh form) reveals again and is audited again.
    again = {**data, "form_token": _reveal_token(reloaded.text)}
    assert again["form_token"] != token
    second = client.post(f"{page}/reveal", data=again)
    assert second.status_code == 200
    assert PHONE in second.text
    assert _reveals(session) == 2


def test_a_refused_reveal_leaves_its_token_usable(
    client: TestClient, login: LoginAs, session: Session, person: Resident
) -> None:
    csrf = login("street_a")
    page = f"/register/residents/{person.id}"
    token = _reveal_token(client.get(page).text)
    refused = client.post(
        f"{page}/reveal", data={"csrf_token": csrf, "reason": " ", "form_token": token}
    )
    assert refused.status_code == 422
    assert _reveals(session) == 0
    shown = client.post(
        f"{page}/reveal", data={"csrf_token": csrf, "reason": REASON, "form_token": token}
    )
    assert shown.status_code == 200
    assert PHONE in shown.text
    assert _reveals(session) == 1


def test_the_same_token_on_another_persons_page_is_its_own_form(
    client: TestClient, login: LoginAs, session: Session, person: Resident, now: datetime
) -> None:
    other_house = make_house(
        session, grid_code=MiniTerritory.GRID_A1, now=now, address="幸福路9号院"
    )
    other = make_resident(session, house=other_house, now=now, name="赵兰", id_no=id_number())
    csrf = login("street_a")
    token = _reveal_token(client.get(f"/register/residents/{person.id}").text)
    data = {"csrf_token": csrf, "reason": REASON, "form_token": token}
    assert client.post(f"/register/residents/{person.id}/reveal", data=data).status_code == 200
    shown = client.post(f"/register/residents/{other.id}/reveal", data=data)
    assert shown.status_code == 200
    assert "赵兰" in shown.text
    assert _reveals(session) == 2
