"""The register's editing API and the unit pickers' search: the house picker's search (scoped),
corrections to residents (masked answer) and houses, a house added by address and building,
house tags removed, a house's visits, and /api/v1/territory/units/search."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user
from tests.builders.register import make_house, make_resident

from civicgrid.auth.roles import Role
from civicgrid.register import rules, service
from civicgrid.register.models import House, Resident

P = "/api/v1/register"


class Setup:
    def __init__(self, session: Session, now: datetime) -> None:
        self.t = MiniTerritory(session, now)
        service.ensure_default_tags(session, actor=SYSTEM, now=now)
        self.house: House = make_house(
            session, grid_code=self.t.GRID_A1, now=now, address="幸福路12号院", room="501"
        )
        self.other: House = make_house(
            session, grid_code=self.t.GRID_A2, now=now, address="永安路8号院", room="501"
        )
        self.resident: Resident = make_resident(
            session, house=self.house, now=now, phone="13812345678"
        )
        self.tokens: dict[str, str] = {}
        for who, role, code in [
            ("worker", Role.GRID_WORKER, self.t.GRID_A1),
            ("leader", Role.LEADER, self.t.STREET_A),
            ("dispatcher", Role.DISPATCHER, self.t.CITY),
            ("street_b", Role.STREET_HANDLER, self.t.STREET_B),
        ]:
            _user, self.tokens[who] = make_user(session, role=role, region_code=code, now=now)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def s(session: Session, now: datetime) -> Setup:
    return Setup(session, now)


def test_house_picker_search_is_scoped(client: TestClient, s: Setup) -> None:
    r = client.get(f"{P}/pickers/houses", params={"q": "501"}, headers=s.h("worker"))
    assert r.status_code == 200
    assert r.json() == [
        {
            "id": s.house.id,
            "label": "幸福路12号院3号楼2单元501",
            "grid_id": s.house.grid_id,
            "group": "",
        }
    ]
    assert client.get(f"{P}/pickers/houses", params={"q": "501"}).status_code == 401
    too_long = client.get(f"{P}/pickers/houses", params={"q": "幸" * 101}, headers=s.h("worker"))
    assert too_long.status_code == 422


def test_house_picker_names_the_grid_of_equal_labels_and_says_why_it_refuses(
    client: TestClient,
    s: Setup,
    session: Session,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    twin = make_house(session, grid_code=s.t.GRID_A2, now=now, address="幸福路12号院", room="501")
    r = client.get(f"{P}/pickers/houses", params={"q": "幸福路12号院 501"}, headers=s.h("leader"))
    assert r.status_code == 200
    assert sorted((c["id"], c["group"]) for c in r.json()) == sorted(
        [(s.house.id, "建国里第一网格"), (twin.id, s.t.region(s.t.GRID_A2).name)]
    )
    # A large scope needs three characters in a row: the 422 says so (the picker shows it).
    monkeypatch.setattr(rules, "SMALL_SCOPE_ROWS", 0)
    r = client.get(f"{P}/pickers/houses", params={"q": "50 1"}, headers=s.h("leader"))
    assert r.status_code == 422
    assert "至少输入 3 个" in r.json()["detail"]


def test_resident_correction_answers_masked_and_refuses_a_bad_phone(
    client: TestClient, s: Setup
) -> None:
    url = f"{P}/residents/{s.resident.id}"
    r = client.patch(url, json={"name": "张维", "phone": "13900001111"}, headers=s.h("worker"))
    assert r.status_code == 200
    assert r.json()["name"] == "张维"
    assert r.json()["phone_masked"] == "139****1111"
    assert "13900001111" not in r.text
    bad = client.patch(url, json={"name": "张维", "phone": "123"}, headers=s.h("worker"))
    assert bad.status_code == 422
    assert client.patch(url, json={"name": "李四"}, headers=s.h("leader")).status_code == 403


def test_house_added_corrected_and_untagged(client: TestClient, s: Setup, session: Session) -> None:
    address_id = client.get(f"{P}/addresses", params={"q": "幸福"}, headers=s.h("worker")).json()[
        0
    ]["id"]
    made = client.post(
        f"{P}/houses",
        json={"address_id": address_id, "building": "9号楼", "room": "101", "use": "住宅"},
        headers=s.h("worker"),
    )
    assert made.status_code == 201, made.text
    hid = made.json()["id"]
    again = client.post(
        f"{P}/houses",
        json={"address_id": address_id, "building": "9号楼", "room": "101"},
        headers=s.h("worker"),
    )
    assert again.status_code == 409
    fixed = client.patch(
        f"{P}/houses/{hid}",
        json={"room": "102", "area_m2": 60, "use": "office", "is_vacant": True},
        headers=s.h("worker"),
    )
    assert fixed.status_code == 200
    assert (fixed.json()["room"], fixed.json()["use"], fixed.json()["is_vacant"]) == (
        "102",
        "office",
        True,
    )
    tagged = client.post(f"{P}/houses/{hid}/tags", json={"tag": "出租房"}, headers=s.h("worker"))
    assert tagged.status_code == 204
    gone = client.delete(f"{P}/houses/{hid}/tags/出租房", headers=s.h("worker"))
    assert gone.status_code == 204
    assert client.get(f"{P}/houses/{hid}", headers=s.h("worker")).json()["tags"] == []
    outside = client.patch(f"{P}/houses/{s.other.id}", json={"room": "1"}, headers=s.h("worker"))
    assert outside.status_code == 404


def test_house_visits_carry_their_kind(client: TestClient, s: Setup, now: datetime) -> None:
    posted = client.post(
        f"{P}/visits",
        json={
            "visited_at": (now - timedelta(hours=1)).isoformat(),
            "kind": "mediation",
            "place": "幸福路12号院",
            "content": "邻里漏水纠纷",
            "house_ids": [s.house.id],
        },
        headers=s.h("worker"),
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["kind"] == "mediation"
    listed = client.get(f"{P}/houses/{s.house.id}/visits", headers=s.h("worker")).json()
    assert [(v["kind"], v["content"]) for v in listed] == [("mediation", "邻里漏水纠纷")]
    assert client.get(f"{P}/houses/{s.other.id}/visits", headers=s.h("worker")).status_code == 404


def test_unit_search_finds_units_by_name_within_scope(client: TestClient, s: Setup) -> None:
    url = "/api/v1/territory/units/search"
    r = client.get(url, params={"q": "城管"}, headers=s.h("dispatcher"))
    assert r.status_code == 200
    assert r.json() == [
        {
            "kind": "department",
            "id": s.t.department().id,
            "name": "朝阳区城管执法局",
            "group": "职能部门",
            "value": f"department:{s.t.department().id}",
        }
    ]
    streets = client.get(url, params={"q": "街道", "kind": "region"}, headers=s.h("street_b"))
    assert [u["name"] for u in streets.json()] == ["中关村街道"]
    assert client.get(url, params={"kind": "company"}, headers=s.h("dispatcher")).status_code == 422
    assert client.get(url, params={"q": "城管"}).status_code == 401
