"""The community map (民情图): counts per grid in the viewer's scope, never personal data, and
sensitive tag counts only for roles that may reveal personal data."""

from __future__ import annotations

import re
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


def _table(html: str) -> dict[str, list[str]]:
    """The cells of each row of the map's table, by the part's code."""
    body = html[html.index('id="grid-table"') : html.index("</table>")]
    rows = re.findall(r'<tr data-grid="(\w+)"[^>]*>(.*?)</tr>', body, flags=re.S)
    return {
        code: [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        for code, cells in rows
    }


def test_leader_walks_down_from_the_districts_to_the_grids_without_sensitive_tags(
    client: TestClient, world: World, login: LoginAs, session: Session, now: datetime
) -> None:
    _populate(session, now)
    login("leader")
    top = client.get("/community-map")
    assert top.status_code == 200
    assert "民情图：北京市各区实有人口（人）" in top.text
    rows = _table(top.text)
    assert set(rows) == {MiniTerritory.DISTRICT_A, MiniTerritory.DISTRICT_B}
    assert rows[MiniTerritory.DISTRICT_A][:5] == ["朝阳区", "2", "2", "0", "3"]
    assert (
        f'href="/community-map?region={MiniTerritory.DISTRICT_A}&amp;measure=residents"' in top.text
    )
    assert "建国里第一网格" not in top.text  # the page holds one level, not every grid
    assert "党员 1" in top.text
    assert "低保" not in top.text

    street = client.get(f"/community-map?region={MiniTerritory.STREET_A}")
    assert set(_table(street.text)) == {MiniTerritory.COMMUNITY_A1, MiniTerritory.COMMUNITY_A2}
    assert 'aria-current="page">建外街道<' in street.text
    assert (
        f'href="/community-map?region={MiniTerritory.DISTRICT_A}&amp;measure=residents">朝阳区<'
        in street.text
    )

    community = client.get(f"/community-map?region={MiniTerritory.COMMUNITY_A2}")
    rows = _table(community.text)
    assert list(rows) == [MiniTerritory.GRID_A2]
    assert rows[MiniTerritory.GRID_A2][:5] == ["永安里第一网格", "1", "1", "0", "1"]
    assert "王强" not in community.text
    assert "13700002222" not in community.text


def test_a_region_outside_the_scope_is_not_found(
    client: TestClient, world: World, login: LoginAs
) -> None:
    login("grid_a1")
    assert client.get(f"/community-map?region={MiniTerritory.GRID_A2}").status_code == 404
    assert client.get("/community-map?region=999999999999").status_code == 404
    assert client.get(f"/community-map?region={MiniTerritory.GRID_A1}").status_code == 200


def test_register_counts_follow_register_writes(
    client: TestClient, world: World, login: LoginAs, session: Session, now: datetime
) -> None:
    _populate(session, now)
    session.commit()
    login("leader")
    url = f"/community-map?region={MiniTerritory.COMMUNITY_A1}"
    assert _table(client.get(url).text)[MiniTerritory.GRID_A1][4] == "2"
    assert _table(client.get(url).text)[MiniTerritory.GRID_A1][4] == "2"
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, room="102")
    make_resident(session, house=house, now=now, name="赵敏", tags=["党员"])
    session.commit()
    again = _table(client.get(url).text)[MiniTerritory.GRID_A1]
    assert again[1:5] == ["1", "2", "0", "3"]  # the same building, one more house
    assert "党员 2" in again[8]


def test_roles_without_register_access_are_refused(
    client: TestClient, world: World, login: LoginAs
) -> None:
    login("resident")
    assert client.get("/community-map").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: TestClient, world: World) -> None:
    r = client.get("/community-map", follow_redirects=False)
    assert r.status_code in (302, 303, 307)
    assert "/login" in r.headers["location"]
