"""Landing page workbenches: each role's counts of what waits for them, from the real pages,
with the other units' orders left out, and the inbox lists behind each count."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import LoginAs, assert_max_queries

from civicgrid.appeals.channels import Channel
from civicgrid.appeals.states import AppealStatus

S = AppealStatus


def tile_count(html: str, key: str) -> int:
    match = re.search(
        rf'data-queue="{key}">\s*<span class="tile-count">(\d+)</span>', html, re.MULTILINE
    )
    assert match, f"no tile {key} on the page"
    return int(match.group(1))


def listed_numbers(html: str) -> set[str]:
    return set(re.findall(r"\b\d{8,}\b", html))


def test_street_handler_workbench_counts_only_orders_its_street_leads(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    to_sign = make_appeal(session, world=world, status=S.DISPATCHED, now=now)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)
    make_appeal(session, world=world, status=S.SIGNED, now=now)
    # Same street, but led by the utility or by street B: not this street's work.
    utility_led = make_appeal(
        session, world=world, status=S.DISPATCHED, now=now, lead=world.utility
    )
    other_street = make_appeal(
        session, world=world, status=S.DISPATCHED, now=now, lead=world.street_b
    )
    answered = make_appeal(session, world=world, status=S.REPLIED, now=now)
    session.commit()

    login("street_a")
    home = client.get("/")
    assert home.status_code == 200
    assert "本单位主办" in home.text
    assert tile_count(home.text, "to_sign") == 1
    assert tile_count(home.text, "handling") == 2
    assert tile_count(home.text, "co_unit") == 0
    assert 'href="/appeals/inbox?queue=to_sign"' in home.text

    listed = client.get("/appeals/inbox?queue=to_sign")
    assert listed.status_code == 200
    assert to_sign.number in listed.text
    assert utility_led.number not in listed.text
    assert other_street.number not in listed.text

    # The default inbox is the street's own open work: not others' orders, not answered ones.
    default = client.get("/appeals/inbox")
    assert default.status_code == 200
    assert to_sign.number in default.text
    assert utility_led.number not in default.text
    assert answered.number not in default.text
    assert "共 3 件" in default.text


def test_utility_handler_sees_the_order_its_utility_leads(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=S.DISPATCHED, now=now, lead=world.utility)
    make_appeal(session, world=world, status=S.DISPATCHED, now=now)
    session.commit()
    login("utility")
    assert tile_count(client.get("/").text, "to_sign") == 1


def test_dispatcher_workbench_counts_manual_queue_and_requests(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=S.RECEIVED, now=now)
    make_appeal(session, world=world, status=S.PENDING_DISPATCH, now=now)
    returned = make_appeal(session, world=world, status=S.RETURN_REQUESTED, now=now)
    make_appeal(session, world=world, status=S.EXTENSION_REQUESTED, now=now)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)
    session.commit()
    login("dispatcher")
    home = client.get("/").text
    assert tile_count(home, "manual") == 2
    assert tile_count(home, "return_requests") == 1
    assert tile_count(home, "extension_requests") == 1
    assert 'href="/dispatch/queue"' in home
    listed = client.get("/appeals/inbox?queue=return_requests").text
    assert returned.number in listed
    assert "共 1 件" in listed


def test_operator_workbench_counts_callbacks_due(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=S.REPLIED, now=now)
    make_appeal(session, world=world, status=S.CLOSED, now=now)
    session.commit()
    login("operator")
    assert tile_count(client.get("/").text, "callbacks") == 1


def test_grid_worker_workbench_counts_verifications_in_own_grid(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=S.PENDING_VERIFICATION, now=now, grid=True)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now, grid=True)
    session.commit()
    login("grid_a1")
    home = client.get("/").text
    assert tile_count(home, "to_verify") == 1
    assert tile_count(home, "grid_open") == 1
    assert 'href="/grid/tasks"' in home
    login("grid_a2")
    assert tile_count(client.get("/").text, "to_verify") == 0


def test_resident_workbench_lists_own_appeals_with_status(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    mine = make_appeal(
        session,
        world=world,
        now=now,
        by="resident",
        channel=Channel.WEB,
        region_code=None,
        title="路灯不亮了",
    )
    make_appeal(
        session,
        world=world,
        now=now,
        by="resident2",
        channel=Channel.WEB,
        region_code=None,
        title="别人的诉求",
    )
    session.commit()
    login("resident")
    home = client.get("/").text
    assert tile_count(home, "my_open") == 1
    assert "路灯不亮了" in home
    assert "别人的诉求" not in home
    assert f'href="/portal/appeals/{mine.id}"' in home
    assert "所在区划" not in home


def test_unknown_queue_is_a_clear_422(client: TestClient, login: LoginAs) -> None:
    login("dispatcher")
    r = client.get("/appeals/inbox?queue=nonsense")
    assert r.status_code in (400, 422)
    assert "未知的待办分类" in r.text


def test_workbench_costs_one_statement_per_group_whatever_the_data(
    client: TestClient,
    login: LoginAs,
    session: Session,
    connection: Connection,
    world: World,
    now: datetime,
) -> None:
    login("street_a")
    with assert_max_queries(connection, 12) as few:
        client.get("/")
    for _ in range(5):
        make_appeal(session, world=world, status=S.DISPATCHED, now=now)
    session.commit()
    with assert_max_queries(connection, len(few)) as many:
        assert tile_count(client.get("/").text, "to_sign") == 5
    assert len(many) == len(few)


def test_favicon_is_served_without_login(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert client.get("/static/favicon.svg").status_code == 200


def test_timeline_names_people_not_login_names(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=S.SIGNED, now=now)
    session.commit()
    login("dispatcher")
    page = client.get(f"/appeals/{appeal.id}")
    assert page.status_code == 200
    # Each person by display name and the unit of the post they acted in.
    dispatcher, handler = world.actor("dispatcher"), world.actor("street_a")
    assert f'<span class="who">{dispatcher.display_name}（北京市）</span>' in page.text
    assert f'<span class="who">{handler.display_name}（建外街道）</span>' in page.text
    assert f"{dispatcher.username}(" not in page.text
    assert f"{handler.username}(" not in page.text


def test_dashboard_trend_table_ends_at_today(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, now=now)
    session.commit()
    login("leader")
    html = client.get("/dashboard?period=2026-11").text
    # FROZEN_AT is 2026-11-24 (Beijing): the 24th is plotted, the 25th is still to come.
    assert "<td>11-24</td>" in html
    assert "<td>11-25</td>" not in html


def test_api_docs_load_swagger_ui_from_the_app_not_a_cdn(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "https://" not in page.text
    assert 'data-openapi="/api/v1/openapi.json"' in page.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert client.get("/api/v1/openapi.json").status_code == 200
