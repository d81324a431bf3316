"""民情图 measures: the page is titled by the chosen measure (residents, appeals per 1,000
residents, open appeals), draws a legend, colours each part of the region (district, street,
community, grid) by its class and counts appeals per part; an unknown measure falls back to
residents."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.builders.register import make_house, make_resident
from tests.web.conftest import LoginAs

from civicgrid.appeals.states import AppealStatus
from civicgrid.web.register.community_map import SHADES, legend, per_thousand, shade


def test_legend_classes_and_shades() -> None:
    classes = legend([0.0, 5.0, 10.0])
    assert [c["colour"] for c in classes] == list(SHADES)
    assert classes[0]["low"] == 0
    assert classes[-1]["high"] == 10.0
    assert shade(10.0, classes) == SHADES[-1]
    assert shade(0.0, classes) == SHADES[0]
    assert shade(None, classes) == "#f0f0f0"
    assert legend([0.0, 0.0]) == [{"low": 0, "high": 0, "colour": SHADES[0]}]
    assert per_thousand(3, 2000) == 1.5
    assert per_thousand(3, 0) is None


def _rows(html: str) -> dict[str, tuple[str, str]]:
    """(value, colour) of each grid row of the table, by grid code."""
    found = re.findall(r'<tr data-grid="(\w+)" data-value="([^"]*)" data-colour="([^"]+)">', html)
    return {code: (value, colour) for code, value, colour in found}


def test_open_appeals_measure_titles_the_map_and_shades_the_busier_grid(
    client: TestClient, world: World, login: LoginAs, session: Session, now: datetime
) -> None:
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, room="101")
    make_resident(session, house=house, now=now, name="张伟")
    make_appeal(session, world=world, status=AppealStatus.IN_PROGRESS, now=now, grid=True)
    session.commit()
    login("leader")
    r = client.get(f"/community-map?region={MiniTerritory.STREET_A}&measure=open")
    assert r.status_code == 200
    assert "民情图：建外街道各社区(村)未办结诉求（件）" in r.text
    assert 'id="map-legend"' in r.text
    assert "颜色越深数值越高" in r.text
    rows = _rows(r.text)
    assert rows[MiniTerritory.COMMUNITY_A1] == ("1", SHADES[-1])
    assert rows[MiniTerritory.COMMUNITY_A2] == ("0", SHADES[0])
    # The measure is kept on the way down.
    assert f"region={MiniTerritory.COMMUNITY_A1}&amp;measure=open" in r.text
    grids = _rows(
        client.get(f"/community-map?region={MiniTerritory.COMMUNITY_A1}&measure=open").text
    )
    assert grids == {MiniTerritory.GRID_A1: ("1", SHADES[-1])}

    per_1000 = client.get(
        f"/community-map?region={MiniTerritory.STREET_A}&measure=appeals_per_1000"
    )
    assert "近一年每千人诉求量" in per_1000.text
    fallback = client.get("/community-map?measure=nonsense")
    assert fallback.status_code == 200
    assert "民情图：北京市各区实有人口（人）" in fallback.text
