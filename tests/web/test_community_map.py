"""The community map (民情图): counts per grid in the viewer's scope, never personal data, and
sensitive tag counts only for roles that may reveal personal data."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory
from tests.builders.register import make_house, make_resident
from tests.web.conftest import LoginAs

from civicgrid.auth.actor import Actor
from civicgrid.register import service as register_service


def _populate(session: Session, now: datetime) -> None:
    register_service.ensure_default_tags(session, actor=Actor.system(), now=now)
    house_a1 = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, room="101")
    make_resident(session, house=house_a1, now=now, name="张伟", tags=["党员", "低保"])
    make_resident(session, house=house_a1, now=now, name="李娜", phone="13900001111")
    house_a2 = make_house(session, grid_code=MiniTerritory.GRID_A2, now=now, room="201")
    make_resident(session, house=house_a2, now=now, name="王强", phone="13700002222")


def test_grid_worker_sees_only_their_grid_with_counts_and_no_names(
    client: TestClient, world: World, login: LoginAs, session: Session, now: datetime
) -> None:
    _populate(session, now)
    login("grid_a1")
    r = client.get("/community-map")
    assert r.status_code == 200
    assert "建国里第一网格" in r.text
    assert "永安里第一网格" not in r.text
    assert "实有人口 2 人" in r.text
    assert "低保 1" in r.text  # grid workers may reveal personal data, so they see it
    assert "张伟" not in r.text
    assert "13812345678" not in r.text


def test_leader_sees_every_grid_but_no_sensitive_tag_counts(
    client: TestClient, world: World, login: LoginAs, session: Session, now: datetime
) -> None:
    _populate(session, now)
    login("leader")
    r = client.get("/community-map")
    assert r.status_code == 200
    assert "建国里第一网格" in r.text
    assert "永安里第一网格" in r.text
    assert "实有人口 3 人" in r.text
    assert "党员 1" in r.text
    assert "低保" not in r.text


def test_roles_without_register_access_are_refused(
    client: TestClient, world: World, login: LoginAs
) -> None:
    login("resident")
    assert client.get("/community-map").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: TestClient, world: World) -> None:
    r = client.get("/community-map", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert "/login" in r.headers["location"]
