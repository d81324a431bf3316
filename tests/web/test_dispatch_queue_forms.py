"""The dispatch queue carries the dispatch form of its first order only (each form lists every
unit for the select that works without JavaScript); every other order's form is loaded when its
派单 panel opens (/dispatch/queue/{id}/form: an htmx fragment, or a page of its own), so the
page does not grow with the number of units times the orders shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import HX, LoginAs

from civicgrid.appeals.states import AppealStatus


def test_only_the_first_order_carries_its_form_and_the_others_load_theirs(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    older = make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    newer = make_appeal(
        session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now + timedelta(minutes=5)
    )
    session.commit()
    login("dispatcher")
    page = client.get("/dispatch/queue").text
    assert page.count('class="stacked dispatch-form"') == 1
    assert f'action="/dispatch/queue/{newer.id}"' in page  # newest first, its form in the page
    assert f'action="/dispatch/queue/{older.id}"' not in page
    assert f'hx-get="/dispatch/queue/{older.id}/form"' in page
    assert f'href="/dispatch/queue/{older.id}/form"' in page  # without JavaScript

    fragment = client.get(f"/dispatch/queue/{older.id}/form", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert f'hx-post="/dispatch/queue/{older.id}"' in fragment.text
    assert 'name="lead"' in fragment.text
    assert 'name="co_units"' in fragment.text

    own_page = client.get(f"/dispatch/queue/{older.id}/form")
    assert own_page.status_code == 200
    assert "<html" in own_page.text
    assert f'id="queue-row-{older.id}"' in own_page.text
    assert f'action="/dispatch/queue/{older.id}"' in own_page.text


def test_the_form_is_for_dispatchers_only(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.PENDING_DISPATCH, now=now)
    session.commit()
    login("operator")
    assert client.get(f"/dispatch/queue/{appeal.id}/form").status_code == 403
    login("dispatcher")
    assert client.get("/dispatch/queue/999999/form").status_code == 404
