"""The register search page (masked personal data, scope, htmx fragment, query pin) and the
supervisor's page (requests waiting for review, overdue orders)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import make_house, make_resident
from tests.web.conftest import HX, LoginAs, assert_max_queries

from civicgrid.appeals.states import AppealStatus
from civicgrid.register import service as register_service


def test_register_search_shows_masked_residents_of_my_grid(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    mine = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now)
    other = make_house(session, grid_code=MiniTerritory.GRID_A2, now=now, address="和平里5号院")
    make_resident(session, house=mine, now=now, name="张伟", phone="13812345678")
    make_resident(session, house=other, now=now, name="李娜", phone="13900009999")
    login("grid_a1")
    r = client.get("/register")
    assert r.status_code == 200
    assert "张*" in r.text
    assert "张伟" not in r.text
    assert "138****5678" in r.text
    assert "13812345678" not in r.text
    assert "李*" not in r.text  # outside the grid worker's scope


def test_register_search_by_name_returns_the_fragment_for_htmx(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now)
    make_resident(session, house=house, now=now, name="王芳")
    make_resident(session, house=house, now=now, name="赵强")
    login("street_a")
    r = client.get("/register?name=王", headers=HX)
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section class="card" id="register-results">')
    assert "王*" in r.text
    assert "赵*" not in r.text


def test_register_is_forbidden_for_operators(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/register").status_code == 403


def test_register_query_count_does_not_grow_with_residents(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    register_service.ensure_default_tags(session, actor=SYSTEM, now=now)
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now)
    for name in ("张一", "张二", "张三", "张四", "张五"):
        make_resident(session, house=house, now=now, name=name, tags=["党员"])
    login("grid_a1")
    with assert_max_queries(connection, 9):
        r = client.get("/register")
    assert r.text.count("张*") == 5
    assert "党员" in r.text


def test_supervision_lists_requests_for_review_and_overdue_orders(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    review = make_appeal(session, world=world, status=AppealStatus.EXTENSION_REQUESTED, now=now)
    late = make_appeal(
        session, world=world, status=AppealStatus.DISPATCHED, now=now - timedelta(days=3)
    )
    calm = make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("supervisor")
    r = client.get("/appeals/supervision")
    assert r.status_code == 200
    assert review.number in r.text
    assert late.number in r.text
    assert calm.number not in r.text


def test_supervision_is_forbidden_for_handlers(client: TestClient, login: LoginAs) -> None:
    login("street_a")
    assert client.get("/appeals/supervision").status_code == 403


def test_operator_intake_page_lists_appeals_waiting_for_callback(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    replied = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    login("operator")
    r = client.get("/appeals/new")
    assert 'id="callbacks"' in r.text
    assert replied.number in r.text
