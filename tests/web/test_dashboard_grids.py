"""The dashboard's per-grid figures: not embedded in the page (its size does not grow with the
territory), fetched by the map from /dashboard/grids.json (quiet grids left out, fresh on every
request, 304 when unchanged) and listed most pressing first, a page at a time, on
/dashboard/grids (a fragment for the page's 网格明细, a page of its own without JavaScript)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment.periods import local_date
from civicgrid.auth.actor import Actor
from civicgrid.territory import service as territory_service
from civicgrid.territory.models import Region

GRID_A1_2 = "110105001001002"
COMMUNITY_B1 = "110108001001"
GRID_B1_1 = "110108001001001"


def _square(lon: float, lat: float) -> list[list[list[float]]]:
    d = 0.002
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def _feature(code: str, name: str, level: str, parent: str, lon: float | None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        "geometry": None if lon is None else {"type": "Polygon", "coordinates": _square(lon, 39.9)},
    }


@pytest.fixture
def drawn(session: Session, world: World, now: datetime) -> dict[str, int]:
    """Two grids with a boundary, one in street A and one in street B; their ids by code."""
    territory_service.import_geojson(
        session,
        collection={
            "type": "FeatureCollection",
            "features": [
                _feature(GRID_A1_2, "建国里第二网格", "grid", MiniTerritory.COMMUNITY_A1, 116.4),
                _feature(COMMUNITY_B1, "中关村社区", "community", MiniTerritory.STREET_B, None),
                _feature(GRID_B1_1, "中关村第一网格", "grid", COMMUNITY_B1, 116.3),
            ],
        },
        actor=Actor.system(),
        now=now,
    )
    session.commit()
    rows = session.execute(
        select(Region.code, Region.id).where(Region.code.in_([GRID_A1_2, GRID_B1_1]))
    )
    return {str(code): int(rid) for code, rid in rows}


def _embedded(html: str) -> Any:
    start = html.index('id="dashboard-data">') + len('id="dashboard-data">')
    return json.loads(html[start : html.index("</script>", start)])


def _in_grid(session: Session, world: World, now: datetime, status: AppealStatus) -> None:
    make_appeal(session, world=world, status=status, now=now, region_code=GRID_A1_2)
    session.commit()


def test_the_page_embeds_no_grid_and_points_the_map_to_its_figures(
    client: TestClient, login: LoginAs, drawn: dict[str, int], now: datetime
) -> None:
    login("leader")
    r = client.get("/dashboard?period=2026-11")
    assert r.status_code == 200
    assert _embedded(r.text)["grids"] == "/dashboard/grids.json?period=2026-11"
    assert "建国里第二网格" not in r.text
    assert 'hx-get="/dashboard/grids?period=2026-11"' in r.text


def test_grid_figures_leave_quiet_grids_out_and_follow_every_write(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    drawn: dict[str, int],
) -> None:
    _in_grid(session, world, now, AppealStatus.DISPATCHED)
    _in_grid(session, world, now, AppealStatus.CLOSED)
    login("leader")
    r = client.get("/dashboard/grids.json")
    assert r.status_code == 200
    body = r.json()
    assert body["boundaries"] == "/community-map/boundaries.geojson"
    received, open_now, overdue, warning = body["grids"][str(drawn[GRID_A1_2])]
    assert (received, open_now, overdue) == (2, 1, 0)
    assert warning in {"green", "yellow", "red"}
    assert str(drawn[GRID_B1_1]) not in body["grids"]  # nothing there: left out

    again = client.get("/dashboard/grids.json", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304

    _in_grid(session, world, now, AppealStatus.RECEIVED)
    fresh = client.get("/dashboard/grids.json", headers={"If-None-Match": r.headers["etag"]})
    assert fresh.status_code == 200
    assert fresh.json()["grids"][str(drawn[GRID_A1_2])][:2] == [3, 2]


def test_grid_list_ranks_the_busiest_grid_first_as_a_page_and_as_a_fragment(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    drawn: dict[str, int],
) -> None:
    _in_grid(session, world, now, AppealStatus.IN_PROGRESS)
    login("leader")
    page = client.get("/dashboard/grids")
    assert page.status_code == 200
    assert "<html" in page.text
    assert page.text.index("建国里第二网格") < page.text.index("中关村第一网格")
    assert f"{local_date(now).year}年" in page.text  # the period's label

    fragment = client.get("/dashboard/grids?page=9", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "共 2 个网格" in fragment.text
    assert "第 1/1 页" in fragment.text  # past the last page: the last one


def test_grid_figures_check_role_and_input(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/dashboard/grids.json").status_code == 403
    assert client.get("/dashboard/grids").status_code == 403
    login("leader")
    assert client.get("/dashboard/grids?page=0").status_code == 422
    assert client.get("/dashboard/grids.json?period=2026-13").status_code == 422
