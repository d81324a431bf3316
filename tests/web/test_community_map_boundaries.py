"""民情图 boundaries: served from their own endpoint (scoped as the page is) with a strong ETag
over the body and a private cache lifetime, 304 when the browser already holds them, a new
ETag when a boundary, a name or a grid in the viewer's scope changes; the page carries the
figures (always fresh) and no geometry."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.auth.actor import Actor
from civicgrid.territory import service as territory_service
from civicgrid.territory.models import Region
from civicgrid.web.shared.http_cache import etag_matches

pytestmark = pytest.mark.postgres

URL = "/community-map/boundaries.geojson"
PARTS = "/community-map/parts.geojson"
GRID_A1_2 = "110105001001002"
COMMUNITY_B1 = "110108001001"
GRID_B1_1 = "110108001001001"
GRID_A1_3 = "110105001001003"


def _square(lon: float, lat: float) -> list[list[float]]:
    d = 0.002
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def _feature(code: str, name: str, level: str, parent: str, ring: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        "geometry": {"type": "Polygon", "coordinates": [ring]} if ring else None,
    }


def _import(session: Session, now: datetime, *features: dict[str, Any]) -> None:
    territory_service.import_geojson(
        session,
        collection={"type": "FeatureCollection", "features": list(features)},
        actor=Actor.system(),
        now=now,
    )
    session.commit()


@pytest.fixture
def drawn(session: Session, world: World, now: datetime) -> None:
    """A grid with a boundary under street A and another under street B."""
    _import(
        session,
        now,
        _feature(
            GRID_A1_2, "建国里第二网格", "grid", MiniTerritory.COMMUNITY_A1, _square(116.4, 39.9)
        ),
        _feature(COMMUNITY_B1, "中关村社区", "community", MiniTerritory.STREET_B, None),
        _feature(GRID_B1_1, "中关村第一网格", "grid", COMMUNITY_B1, _square(116.3, 39.98)),
    )


def _embedded(html: str, node_id: str) -> Any:
    """The JSON a page embeds in ``<script type="application/json" id=node_id>``."""
    start = html.index(f'id="{node_id}">') + len(f'id="{node_id}">')
    return json.loads(html[start : html.index("</script>", start)])


def _codes(body: bytes) -> set[str]:
    collection = json.loads(body)
    assert collection["type"] == "FeatureCollection"
    return {f["properties"]["code"] for f in collection["features"]}


def test_etag_matching_follows_if_none_match() -> None:
    assert etag_matches('"abc"', '"abc"')
    assert etag_matches('"x", W/"abc"', '"abc"')
    assert etag_matches("*", '"abc"')
    assert not etag_matches('"abd"', '"abc"')
    assert not etag_matches(None, '"abc"')
    assert not etag_matches("", '"abc"')


def test_boundaries_carry_a_strong_etag_and_answer_304_on_a_match(
    client: TestClient, login: LoginAs, drawn: None
) -> None:
    login("leader")
    r = client.get(URL)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    etag = r.headers["etag"]
    assert etag.startswith('"')  # strong: no W/ prefix
    assert r.headers["cache-control"] == "private, max-age=300"
    assert _codes(r.content) == {GRID_A1_2, GRID_B1_1}
    feature = json.loads(r.content)["features"][0]
    assert set(feature["properties"]) == {"id", "code", "name"}
    assert feature["geometry"]["type"] == "Polygon"

    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = client.get(URL, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.headers["etag"] == etag


def test_the_etag_changes_when_a_boundary_a_name_or_a_grid_in_scope_changes(
    client: TestClient, login: LoginAs, session: Session, now: datetime, drawn: None
) -> None:
    login("street_b")
    street_b_etag = client.get(URL).headers["etag"]
    login("leader")
    first = client.get(URL).headers["etag"]

    grid = session.query(Region).filter_by(code=GRID_A1_2).one()
    grid.boundary = json.dumps({"type": "Polygon", "coordinates": [_square(116.401, 39.9)]})
    session.commit()
    moved = client.get(URL, headers={"If-None-Match": first})
    assert moved.status_code == 200
    assert moved.headers["etag"] != first
    assert json.loads(moved.content)["features"][0]["geometry"]["coordinates"][0][0] == [
        116.401,
        39.9,
    ]

    grid.name = "建国里第二网格（调整后）"
    session.commit()
    renamed = client.get(URL, headers={"If-None-Match": moved.headers["etag"]})
    assert renamed.status_code == 200
    assert "调整后" in renamed.text

    _import(
        session,
        now,
        _feature(
            GRID_A1_3, "建国里第三网格", "grid", MiniTerritory.COMMUNITY_A1, _square(116.41, 39.9)
        ),
    )
    added = client.get(URL, headers={"If-None-Match": renamed.headers["etag"]})
    assert added.status_code == 200
    assert GRID_A1_3 in _codes(added.content)

    # Nothing changed in street B: its handler's copy is still good.
    login("street_b")
    assert client.get(URL, headers={"If-None-Match": street_b_etag}).status_code == 304


def test_boundaries_are_scoped_as_the_page_is(
    client: TestClient, login: LoginAs, drawn: None
) -> None:
    login("street_a")
    a = client.get(URL)
    assert _codes(a.content) == {GRID_A1_2}
    login("street_b")
    b = client.get(URL)
    assert _codes(b.content) == {GRID_B1_1}
    assert a.headers["etag"] != b.headers["etag"]
    # Another scope's ETag is no match.
    assert client.get(URL, headers={"If-None-Match": a.headers["etag"]}).status_code == 200
    login("resident")
    assert client.get(URL).status_code == 403


def test_anonymous_visitors_get_no_boundaries(client: TestClient, world: World) -> None:
    r = client.get(URL, follow_redirects=False)
    assert r.status_code in (302, 303, 307)


def test_the_page_carries_fresh_figures_and_no_geometry(
    client: TestClient, login: LoginAs, drawn: None
) -> None:
    login("street_a")
    r = client.get(f"/community-map?region={MiniTerritory.COMMUNITY_A1}")
    assert r.status_code == 200
    assert r.headers.get("etag") is None
    data = _embedded(r.text, "community-map-data")
    assert data["boundaries"] == f"{PARTS}?region={MiniTerritory.COMMUNITY_A1}"
    assert {g["code"] for g in data["parts"].values()} == {MiniTerritory.GRID_A1, GRID_A1_2}
    assert "coordinates" not in r.text
    parts = client.get(data["boundaries"])
    assert _codes(parts.content) == {GRID_A1_2}  # the one part with a boundary
    assert client.get(data["boundaries"], headers={"If-None-Match": parts.headers["etag"]}
                      ).status_code == 304  # fmt: skip


def test_the_parts_of_a_view_are_its_children_in_scope(
    client: TestClient, login: LoginAs, drawn: None
) -> None:
    login("leader")
    top = client.get(PARTS)
    assert top.status_code == 200
    assert _codes(top.content) == set()  # the districts have no boundary in this world
    community_b1 = client.get(f"{PARTS}?region={COMMUNITY_B1}")
    assert _codes(community_b1.content) == {GRID_B1_1}
    login("street_a")
    assert client.get(f"{PARTS}?region={COMMUNITY_B1}").status_code == 404
    assert client.get("/community-map?region=" + COMMUNITY_B1).status_code == 404


def test_the_dashboard_map_takes_its_boundaries_from_the_same_endpoint(
    client: TestClient, login: LoginAs, drawn: None
) -> None:
    login("leader")
    r = client.get("/dashboard")
    assert r.status_code == 200
    grids = client.get(_embedded(r.text, "dashboard-data")["grids"]).json()
    assert grids["boundaries"] == URL
    assert "coordinates" not in r.text
    assert _codes(client.get(grids["boundaries"]).content) == {GRID_A1_2, GRID_B1_1}
