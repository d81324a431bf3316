"""The territory JSON API: locate, regions, departments, utilities, import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.auth import make_user

from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.demo.city import build_territory_spec
from civicgrid.territory import queries, service
from civicgrid.territory.models import Region
from civicgrid.territory.schemas import TerritorySpec

BASE = "/api/v1/territory"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def codes_at(spec: TerritorySpec, level: str) -> list[str]:
    return [
        f["properties"]["code"]
        for f in spec.features["features"]
        if f["properties"]["level"] == level
    ]


@pytest.fixture
def tiny(session: Session, now: datetime) -> TerritorySpec:
    spec = build_territory_spec(42, "tiny")
    service.create_from_spec(session, spec=spec, actor=Actor.system("test"), now=now)
    return spec


@pytest.fixture
def admin_token(session: Session, now: datetime, tiny: TerritorySpec) -> str:
    _user, token = make_user(session, role=Role.ADMIN, now=now)
    return token


@pytest.fixture
def street_token(session: Session, now: datetime, tiny: TerritorySpec) -> str:
    """A street handler posted to the first street."""
    _user, token = make_user(
        session, role=Role.STREET_HANDLER, region_code=codes_at(tiny, "street")[0], now=now
    )
    return token


def centre_of(session: Session, code: str) -> tuple[float, float]:
    region = queries.get_region_by_code(session, code)
    assert region.centroid_lon is not None
    assert region.centroid_lat is not None
    return region.centroid_lon, region.centroid_lat


# --- locate -------------------------------------------------------------------------------


def test_locate_answers_the_grid_and_its_chain(
    client: TestClient, session: Session, tiny: TerritorySpec, street_token: str
) -> None:
    grid = codes_at(tiny, "grid")[-1]  # in the second street: locate ignores the data scope
    lon, lat = centre_of(session, grid)
    response = client.get(
        f"{BASE}/locate", params={"lon": lon, "lat": lat}, headers=bearer(street_token)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == grid
    assert body["grid"]["level"] == "grid"
    assert body["grid"]["level_label"] == "网格"
    assert [a["level"] for a in body["ancestors"]] == [
        "city",
        "district",
        "street",
        "community",
    ]
    assert body["ancestors"][0]["name"] == "云川市"
    assert body["ancestors"][-1]["code"] == grid[:12]


def test_locate_outside_the_territory_is_404(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    response = client.get(
        f"{BASE}/locate", params={"lon": 100.0, "lat": 30.0}, headers=bearer(street_token)
    )
    assert response.status_code == 404
    assert "不在任何网格内" in response.json()["detail"]


def test_locate_without_login_is_401(client: TestClient, tiny: TerritorySpec) -> None:
    response = client.get(f"{BASE}/locate", params={"lon": 114.5, "lat": 38.04})
    assert response.status_code == 401


def test_locate_with_an_unknown_token_is_401(client: TestClient, tiny: TerritorySpec) -> None:
    response = client.get(
        f"{BASE}/locate", params={"lon": 114.5, "lat": 38.04}, headers=bearer("not-a-token")
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "params", [{"lon": 200.0, "lat": 38.0}, {"lon": 114.5}, {"lon": "east", "lat": 38.0}]
)
def test_locate_with_bad_coordinates_is_422(
    client: TestClient, street_token: str, params: dict[str, Any]
) -> None:
    response = client.get(f"{BASE}/locate", params=params, headers=bearer(street_token))
    assert response.status_code == 422


# --- regions ------------------------------------------------------------------------------


def test_a_region_comes_with_its_chain_children_and_geojson(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    street = codes_at(tiny, "street")[0]
    response = client.get(f"{BASE}/regions/{street}", headers=bearer(street_token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == street
    assert body["level"] == "street"
    assert body["parent_code"] == codes_at(tiny, "district")[0]
    assert [a["level"] for a in body["ancestors"]] == ["city", "district"]
    assert [c["code"] for c in body["children"]] == [
        c for c in codes_at(tiny, "community") if c.startswith(street[:9])
    ]
    assert body["boundary"]["type"] == "Polygon"
    assert len(body["centroid"]) == 2
    assert body["area_m2"] > 0


def test_a_region_below_the_actors_post_is_visible(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    grid = codes_at(tiny, "grid")[0]
    response = client.get(f"{BASE}/regions/{grid}", headers=bearer(street_token))
    assert response.status_code == 200
    assert response.json()["children"] == []


def test_a_region_outside_the_actors_scope_is_404(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    other_street = codes_at(tiny, "street")[1]
    response = client.get(f"{BASE}/regions/{other_street}", headers=bearer(street_token))
    assert response.status_code == 404
    city = codes_at(tiny, "city")[0]
    assert client.get(f"{BASE}/regions/{city}", headers=bearer(street_token)).status_code == 404


def test_an_admin_sees_the_whole_city(
    client: TestClient, tiny: TerritorySpec, admin_token: str
) -> None:
    city = codes_at(tiny, "city")[0]
    response = client.get(f"{BASE}/regions/{city}", headers=bearer(admin_token))
    assert response.status_code == 200
    assert response.json()["ancestors"] == []
    assert [c["level"] for c in response.json()["children"]] == ["district"]


def test_an_unknown_region_is_404(client: TestClient, admin_token: str) -> None:
    response = client.get(f"{BASE}/regions/999999999999", headers=bearer(admin_token))
    assert response.status_code == 404


def test_reading_a_region_without_login_is_401(client: TestClient, tiny: TerritorySpec) -> None:
    assert client.get(f"{BASE}/regions/{codes_at(tiny, 'city')[0]}").status_code == 401


# --- departments and utilities ------------------------------------------------------------


def test_departments_are_listed_with_their_region(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    response = client.get(f"{BASE}/departments", headers=bearer(street_token))
    assert response.status_code == 200
    body = response.json()
    assert [d["code"] for d in body] == sorted(d.code for d in tiny.departments)
    assert {d["region_code"] for d in body} == set(codes_at(tiny, "district"))
    assert all(d["is_active"] for d in body)


def test_utilities_are_listed_with_their_service_areas(
    client: TestClient, tiny: TerritorySpec, street_token: str
) -> None:
    response = client.get(f"{BASE}/utilities", headers=bearer(street_token))
    assert response.status_code == 200
    body = {u["code"]: u for u in response.json()}
    water = body["yc-water"]
    assert water["service"] == "water"
    assert water["service_label"] == "供水"
    assert water["service_area_codes"] == codes_at(tiny, "city")


@pytest.mark.parametrize("path", ["departments", "utilities"])
def test_lists_without_login_are_401(client: TestClient, path: str) -> None:
    assert client.get(f"{BASE}/{path}").status_code == 401


# --- import -------------------------------------------------------------------------------


def new_district_collection() -> dict[str, Any]:
    ring = [[113.99, 37.99], [114.01, 37.99], [114.01, 38.01], [113.99, 38.01], [113.99, 37.99]]
    rows = [
        ("139903000000", "新区", "district", "139900000000", None),
        ("139903001000", "新街道", "street", "139903000000", None),
        ("139903001001", "新社区", "community", "139903001000", None),
        (
            "139903001001001",
            "新社区第1网格",
            "grid",
            "139903001001",
            {"type": "Polygon", "coordinates": [ring]},
        ),
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": c, "name": n, "level": lv, "parent_code": p},
                "geometry": g,
            }
            for c, n, lv, p, g in rows
        ],
    }


def test_an_admin_imports_a_feature_collection(
    client: TestClient, session: Session, admin_token: str
) -> None:
    response = client.post(
        f"{BASE}/import", json=new_district_collection(), headers=bearer(admin_token)
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "created": 4,
        "by_level": {"district": 1, "street": 1, "community": 1, "grid": 1},
        "derived_boundaries": 3,
    }
    located = client.get(
        f"{BASE}/locate", params={"lon": 114.0, "lat": 38.0}, headers=bearer(admin_token)
    )
    assert located.json()["code"] == "139903001001001"


def test_an_invalid_import_is_422_with_every_problem_and_writes_nothing(
    client: TestClient, session: Session, admin_token: str
) -> None:
    payload = new_district_collection()
    payload["features"][1]["properties"]["parent_code"] = "139904000000"
    payload["features"][3]["geometry"]["coordinates"][0][1] = [114.0, 38.02]
    before = session.scalar(select(func.count(Region.id)))
    response = client.post(f"{BASE}/import", json=payload, headers=bearer(admin_token))
    assert response.status_code == 422
    body = response.json()
    # The street names an unknown parent; the grid's boundary crosses itself. The community
    # under the refused street is not blamed for its parent's fault.
    assert [e["index"] for e in body["errors"]] == [1, 3]
    assert "features[1]" in body["detail"]
    assert "自相交" in body["errors"][1]["reason"]
    assert session.scalar(select(func.count(Region.id))) == before


def test_an_import_by_a_non_admin_is_403(
    client: TestClient, session: Session, street_token: str
) -> None:
    response = client.post(
        f"{BASE}/import", json=new_district_collection(), headers=bearer(street_token)
    )
    assert response.status_code == 403
    assert queries.find_region_by_code(session, "139903000000") is None


def test_an_import_without_login_is_401(client: TestClient) -> None:
    response = client.post(f"{BASE}/import", json=new_district_collection())
    assert response.status_code == 401


def test_an_import_of_something_else_than_an_object_is_422(
    client: TestClient, admin_token: str
) -> None:
    response = client.post(f"{BASE}/import", json=[1, 2, 3], headers=bearer(admin_token))
    assert response.status_code == 422
