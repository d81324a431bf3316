"""The handler's default inbox (本单位待办, ``queue=mine``): the open orders the unit leads or
helps with (co-unit), not the orders of other units in the same street, nor answered ones."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, submit
from tests.web.conftest import LoginAs

from civicgrid.appeals import service
from civicgrid.appeals.queries import access
from civicgrid.appeals.states import AppealStatus

S = AppealStatus


def test_own_work_lists_led_and_co_unit_orders_only(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    led = make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)
    helping = make_appeal(session, world=world, status=S.PENDING_DISPATCH, now=now)
    service.dispatch(
        session,
        appeal_id=helping.id,
        lead=world.department,
        co_units=[world.street_a],
        actor=world.actor("dispatcher"),
        now=now,
    )
    # In street A, but led by the utility (street A not a unit), or led by street B.
    utility_led = make_appeal(
        session, world=world, status=S.DISPATCHED, now=now, lead=world.utility
    )
    other_street = make_appeal(
        session, world=world, status=S.DISPATCHED, now=now, lead=world.street_b
    )
    answered = make_appeal(session, world=world, status=S.REPLIED, now=now)
    session.commit()

    login("street_a")
    for url in ("/appeals/inbox", "/appeals/inbox?queue=mine"):
        page = client.get(url)
        assert page.status_code == 200
        assert led.number in page.text
        assert helping.number in page.text
        for other in (utility_led, other_street, answered):
            assert other.number not in page.text
        assert "共 2 件" in page.text


def test_a_text_search_beyond_the_count_cap_says_there_are_more(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(3):
        submit(session, world, now=now, title="路灯不亮", content="小区路灯坏了很久。")
    session.commit()
    login("dispatcher")
    assert "共 3 件" in client.get("/appeals/inbox", params={"q": "路灯不亮"}).text
    monkeypatch.setattr(access, "TEXT_COUNT_CAP", 2)
    capped = client.get("/appeals/inbox", params={"q": "路灯不亮"}).text
    assert "超过 2 件，请增加条件缩小范围" in capped
    assert "共 2 件" not in capped


def test_a_status_list_beyond_the_count_cap_says_there_are_more_and_pages_on(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(3):
        submit(session, world, now=now)
    session.commit()
    login("dispatcher")
    assert "共 3 件" in client.get("/appeals/inbox", params={"status": "received"}).text
    monkeypatch.setattr(access, "TEXT_COUNT_CAP", 2)
    monkeypatch.setattr("civicgrid.web.appeals.lists.PAGE_SIZE", 1)
    monkeypatch.setattr("civicgrid.web.shared.appeal_rows.PAGE_SIZE", 1)
    first = client.get("/appeals/inbox", params={"status": "received"}).text
    assert "超过 2 件，请增加条件缩小范围" in first
    assert "下一页" in first  # a full page of a capped list: there may be more
    last = client.get("/appeals/inbox", params={"status": "received", "offset": 2}).text
    assert "超过 2 件" in last
    assert "上一页" in last
    past = client.get("/appeals/inbox", params={"status": "received", "offset": 3}).text
    assert "上一页" in past
    assert "下一页" not in past  # past the last match: a page that is not full
