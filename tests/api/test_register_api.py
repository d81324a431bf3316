"""The register JSON API: every endpoint, its 401/403/404/422 answers, masking, the audited
reveal, import/export, and the cross-community matrix (a grid worker of one community reads
nothing of another community through any endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory, make_user
from tests.builders.register import csv_file, id_number, import_row, make_house, make_resident

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.roles import Role
from civicgrid.register import queries, service
from civicgrid.register.models import Building, House, Resident

P = "/api/v1/register"


@dataclass
class World:
    t: MiniTerritory
    house_a1: House
    house_a2: House
    res_a1: Resident
    res_a2: Resident
    id_a1: str
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def world(session: Session, now: datetime) -> World:
    t = MiniTerritory(session, now)
    service.ensure_default_tags(session, actor=SYSTEM, now=now)
    house_a1 = make_house(session, grid_code=t.GRID_A1, now=now, address="幸福路12号院")
    house_a2 = make_house(session, grid_code=t.GRID_A2, now=now, address="永安路8号院")
    id_a1 = id_number()
    res_a1 = make_resident(
        session,
        house=house_a1,
        now=now,
        name="周杰",
        id_no=id_a1,
        phone="13812345678",
        tags=["党员"],
    )
    res_a2 = make_resident(session, house=house_a2, now=now, name="吴倩", phone="13987654321")
    service.record_visit(
        session,
        visited_at=now - timedelta(hours=2),
        place="永安路8号院",
        content="走访",
        resident_ids=[res_a2.id],
        actor=SYSTEM,
        now=now,
    )
    tokens: dict[str, str] = {}
    for who, role, code in [
        ("admin", Role.ADMIN, None),
        ("worker_a1", Role.GRID_WORKER, t.COMMUNITY_A1),
        ("worker_a2", Role.GRID_WORKER, t.COMMUNITY_A2),
        ("street", Role.STREET_HANDLER, t.STREET_A),
        ("leader", Role.LEADER, t.STREET_A),
        ("operator", Role.OPERATOR, t.STREET_A),
    ]:
        _user, tokens[who] = make_user(session, role=role, region_code=code, now=now)
    return World(t, house_a1, house_a2, res_a1, res_a2, id_a1, tokens)


ENDPOINTS = [
    ("GET", "/tags"),
    ("POST", "/tags"),
    ("POST", "/addresses"),
    ("GET", "/addresses"),
    ("GET", "/addresses/1"),
    ("POST", "/addresses/1/buildings"),
    ("GET", "/addresses/1/buildings"),
    ("POST", "/buildings/1/houses"),
    ("GET", "/houses"),
    ("GET", "/houses/1"),
    ("GET", "/houses/1/residents"),
    ("PUT", "/houses/1/vacancy"),
    ("POST", "/houses/1/tags"),
    ("POST", "/residents"),
    ("GET", "/residents"),
    ("GET", "/residents/1"),
    ("POST", "/residents/1/reveal"),
    ("POST", "/residents/1/tags"),
    ("DELETE", "/residents/1/tags/x"),
    ("POST", "/residents/1/move"),
    ("POST", "/visits"),
    ("GET", "/visits"),
    ("POST", "/patrol-tracks"),
    ("GET", "/patrol-tracks"),
    ("GET", "/patrol-tracks/1"),
    ("POST", "/import"),
    ("POST", "/export"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_login(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, P + path).status_code == 401


def test_roles_without_register_rights_get_403(client: TestClient, world: World) -> None:
    h = world.h("operator")
    assert client.get(f"{P}/residents", headers=h).status_code == 403
    assert client.get(f"{P}/houses", headers=h).status_code == 403
    assert client.get(f"{P}/residents/{world.res_a1.id}", headers=h).status_code == 403
    body = {"grid_code": world.t.GRID_A1, "name": "新路1号"}
    assert client.post(f"{P}/addresses", json=body, headers=h).status_code == 403
    assert client.post(f"{P}/addresses", json=body, headers=world.h("leader")).status_code == 403
    tag = {"code": "x", "name": "新标签", "family": "other", "level": "city", "target": "resident"}
    assert client.post(f"{P}/tags", json=tag, headers=world.h("street")).status_code == 403
    assert client.post(f"{P}/tags", json=tag, headers=world.h("admin")).status_code == 201


def test_create_address_building_house_and_resident_masked(
    client: TestClient, world: World
) -> None:
    h = world.h("worker_a1")
    a = client.post(
        f"{P}/addresses", json={"grid_code": world.t.GRID_A1, "name": "建国路88号院"}, headers=h
    )
    assert a.status_code == 201, a.text
    assert a.json()["code"].startswith(world.t.GRID_A1)
    b = client.post(f"{P}/addresses/{a.json()['id']}/buildings", json={"name": "1号楼"}, headers=h)
    assert b.status_code == 201
    hs = client.post(
        f"{P}/buildings/{b.json()['id']}/houses", json={"unit": "1单元", "room": "101"}, headers=h
    )
    assert hs.status_code == 201
    id_no = id_number()
    r = client.post(
        f"{P}/residents",
        json={
            "house_id": hs.json()["id"],
            "name": "郑爽",
            "id_no": id_no,
            "phone": "13700001111",
            "kind": "租住",
            "relation_to_owner": "租客",
            "tags": ["独居老人"],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert id_no not in r.text
    assert "13700001111" not in r.text
    assert body["id_no_masked"] == id_no[:6] + "********" + id_no[-4:]
    assert body["phone_masked"] == "137****1111"
    assert body["residences"][0]["address_text"] == "建国路88号院1号楼1单元101"
    assert body["tags"] == ["独居老人"]
    assert (
        client.get(f"{P}/addresses/{a.json()['id']}/buildings", headers=h).json()[0]["name"]
        == "1号楼"
    )


def test_invalid_input_is_422(client: TestClient, world: World) -> None:
    h = world.h("worker_a1")
    bad_id = {
        "house_id": world.house_a1.id,
        "name": "x",
        "id_no": "110105198003040221",
        "kind": "自住",
    }
    r = client.post(f"{P}/residents", json=bad_id, headers=h)
    assert r.status_code == 422
    assert "校验位" in r.json()["detail"]
    dup = {"house_id": world.house_a1.id, "name": "x", "id_no": world.id_a1, "kind": "自住"}
    assert client.post(f"{P}/residents", json=dup, headers=h).status_code == 409
    assert client.post(f"{P}/addresses", json={"name": "x"}, headers=h).status_code == 422


def test_search_by_id_phone_name_tag_and_address(client: TestClient, world: World) -> None:
    h = world.h("street")
    for params in (
        {"id_no": world.id_a1},
        {"phone": "13812345678"},
        {"name": "周"},
        {"tag": "党员"},
        {"address": "幸福路"},
    ):
        r = client.get(f"{P}/residents", params=params, headers=h)
        assert r.status_code == 200
        assert [i["id"] for i in r.json()["items"]] == [world.res_a1.id], params
    everyone = client.get(f"{P}/residents", headers=h).json()
    assert everyone["total"] == 2
    assert everyone["total_capped"] is False
    assert world.id_a1 not in str(everyone)


def test_search_counts_up_to_the_cap_and_says_so(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = world.h("admin")
    monkeypatch.setattr(queries, "RESIDENT_COUNT_CAP", 1)
    # "3号楼": the full address text (address, building, unit, room) of both residents' houses.
    for params in ({}, {"address": "3号楼"}):
        body = client.get(f"{P}/residents", params=params, headers=h).json()
        assert (body["total"], body["total_capped"]) == (1, True), params
        assert len(body["items"]) == 2
    body = client.get(f"{P}/residents", params={"address": "幸福路"}, headers=h).json()
    assert (body["total"], body["total_capped"]) == (1, False)
    # A city-wide search by a one-character term would read every house: refused with why.
    r = client.get(f"{P}/residents", params={"address": "路"}, headers=h)
    assert r.status_code == 422
    assert "至少输入 3 个" in r.json()["detail"]


def test_reveal_needs_a_reason_a_role_and_is_audited(
    client: TestClient, world: World, session: Session
) -> None:
    url = f"{P}/residents/{world.res_a1.id}/reveal"
    assert client.post(url, json={"reason": ""}, headers=world.h("worker_a1")).status_code == 422
    assert client.post(url, json={}, headers=world.h("worker_a1")).status_code == 422
    assert (
        client.post(url, json={"reason": "上门核实"}, headers=world.h("leader")).status_code == 403
    )
    r = client.post(url, json={"reason": "上门核实户籍"}, headers=world.h("worker_a1"))
    assert r.status_code == 200
    assert r.json() == {
        "resident_id": world.res_a1.id,
        "name": "周杰",
        "id_no": world.id_a1,
        "phone": "13812345678",
    }
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "register.resident.reveal")
    )
    assert entry is not None
    assert (entry.subject_id, entry.reason) == (str(world.res_a1.id), "上门核实户籍")
    assert (
        client.post(
            f"{P}/residents/999999/reveal",
            json={"reason": "上门核实户籍"},
            headers=world.h("admin"),
        ).status_code
        == 404
    )


def test_tags_vacancy_and_move(client: TestClient, world: World) -> None:
    h = world.h("worker_a1")
    rid, hid = world.res_a1.id, world.house_a1.id
    assert (
        client.post(f"{P}/residents/{rid}/tags", json={"tag": "低保"}, headers=h).status_code == 204
    )
    assert (
        client.post(f"{P}/residents/{rid}/tags", json={"tag": "低保"}, headers=h).status_code == 409
    )
    assert (
        client.post(f"{P}/residents/{rid}/tags", json={"tag": "不存在"}, headers=h).status_code
        == 404
    )
    assert client.delete(f"{P}/residents/{rid}/tags/低保", headers=h).status_code == 204
    assert (
        client.post(f"{P}/houses/{hid}/tags", json={"tag": "出租房"}, headers=h).status_code == 204
    )
    assert client.get(f"{P}/houses", params={"tag": "出租房"}, headers=h).json()[0]["id"] == hid
    empty = make_house_via_api(client, h, world)
    assert client.put(f"{P}/houses/{empty}/vacancy", json={"is_vacant": True}, headers=h).json()[
        "is_vacant"
    ]
    assert [
        x["id"] for x in client.get(f"{P}/houses", params={"is_vacant": True}, headers=h).json()
    ] == [empty]
    moved = client.post(
        f"{P}/residents/{rid}/move",
        json={"house_id": empty, "kind": "自住", "on": "2026-11-20"},
        headers=h,
    )
    assert moved.status_code == 201
    assert client.get(f"{P}/houses/{empty}", headers=h).json()["is_vacant"] is False
    assert [r["id"] for r in client.get(f"{P}/houses/{empty}/residents", headers=h).json()] == [rid]


def make_house_via_api(client: TestClient, h: dict[str, str], world: World) -> int:
    addresses = client.get(f"{P}/addresses", params={"q": "幸福路"}, headers=h).json()
    buildings = client.get(f"{P}/addresses/{addresses[0]['id']}/buildings", headers=h).json()
    r = client.post(f"{P}/buildings/{buildings[0]['id']}/houses", json={"room": "1601"}, headers=h)
    assert r.status_code == 201
    house_id: int = r.json()["id"]
    return house_id


def test_visits_and_patrol_tracks(client: TestClient, world: World, now: datetime) -> None:
    h = world.h("worker_a1")
    v = client.post(
        f"{P}/visits",
        json={
            "visited_at": (now - timedelta(hours=1)).isoformat(),
            "place": "幸福路12号院",
            "content": "了解居民需求",
            "resident_ids": [world.res_a1.id],
            "house_ids": [world.house_a1.id],
        },
        headers=h,
    )
    assert v.status_code == 201, v.text
    assert v.json()["resident_ids"] == [world.res_a1.id]
    listed = client.get(f"{P}/visits", params={"resident_id": world.res_a1.id}, headers=h).json()
    assert [x["id"] for x in listed] == [v.json()["id"]]
    pts = [
        {"at": (now - timedelta(minutes=m)).isoformat(), "lon": 116.44 + m / 1000, "lat": 39.91}
        for m in (10, 5, 0)
    ]
    p = client.post(
        f"{P}/patrol-tracks", json={"grid_code": world.t.GRID_A1, "points": pts}, headers=h
    )
    assert p.status_code == 201, p.text
    assert len(p.json()["points"]) == 3
    assert client.get(f"{P}/patrol-tracks/{p.json()['id']}", headers=h).status_code == 200
    assert len(client.get(f"{P}/patrol-tracks", headers=h).json()) == 1
    one = client.post(
        f"{P}/patrol-tracks", json={"grid_code": world.t.GRID_A1, "points": pts[:1]}, headers=h
    )
    assert one.status_code == 422


def test_import_reports_rows_and_respects_the_mode(client: TestClient, world: World) -> None:
    h = world.h("street")
    rows = [
        import_row(grid_code=world.t.GRID_A1, room="201"),
        import_row(grid_code=world.t.GRID_A1, id_no="110105198003040221"),
    ]
    files = {"file": ("people.csv", csv_file(rows), "text/csv")}
    refused = client.post(f"{P}/import", files=files, data={"mode": "all-or-nothing"}, headers=h)
    assert refused.status_code == 422
    assert refused.json()["rejected"] is True
    assert refused.json()["errors"][0]["row"] == 3
    files = {"file": ("people.csv", csv_file(rows), "text/csv")}
    ok = client.post(f"{P}/import", files=files, data={"mode": "valid-rows"}, headers=h)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["imported"], ok.json()["error_rows"]) == (1, 1)
    bad = client.post(
        f"{P}/import", files={"file": ("x.pdf", b"%PDF", "application/pdf")}, headers=h
    )
    assert bad.status_code == 422
    mode = client.post(
        f"{P}/import", files={"file": ("a.csv", b"x", "text/csv")}, data={"mode": "some"}, headers=h
    )
    assert mode.status_code == 422
    worker_file = {"file": ("p.csv", csv_file([import_row(grid_code=world.t.GRID_A2)]), "text/csv")}
    scoped = client.post(f"{P}/import", files=worker_file, headers=world.h("worker_a1")).json()
    assert scoped["imported"] == 0
    assert "数据范围" in scoped["errors"][0]["message"]
    assert (
        client.post(f"{P}/import", files=worker_file, headers=world.h("leader")).status_code == 403
    )


def test_export_is_masked_unless_revealed_with_reason(client: TestClient, world: World) -> None:
    h = world.h("street")
    r = client.post(f"{P}/export", json={"format": "csv"}, headers=h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert "身份证号" in text
    assert world.id_a1 not in text
    assert world.id_a1[:6] + "********" in text
    assert (
        client.post(f"{P}/export", json={"format": "csv", "reveal": True}, headers=h).status_code
        == 422
    )
    full = client.post(
        f"{P}/export", json={"format": "xlsx", "reveal": True, "reason": "年度核对"}, headers=h
    )
    assert full.status_code == 200
    assert client.post(f"{P}/export", json={"format": "pdf"}, headers=h).status_code == 422
    assert client.post(f"{P}/export", json={}, headers=world.h("worker_a1")).status_code == 403


def test_unknown_ids_are_404(client: TestClient, world: World) -> None:
    h = world.h("admin")
    for path in (
        "/addresses/999999",
        "/houses/999999",
        "/residents/999999",
        "/patrol-tracks/999999",
    ):
        assert client.get(P + path, headers=h).status_code == 404, path


def test_cross_community_matrix(client: TestClient, world: World, session: Session) -> None:
    """worker_a1 (community A1) must not read or touch anything of community A2."""
    h = world.h("worker_a1")
    a2_house = world.house_a2
    a2_building = a2_house.building_id
    a2_address = session.get(Building, a2_building).address_id  # type: ignore[union-attr]
    rid = world.res_a2.id
    not_found: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", f"/residents/{rid}", None),
        ("POST", f"/residents/{rid}/reveal", {"reason": "越权查看测试"}),
        ("POST", f"/residents/{rid}/tags", {"tag": "低保"}),
        ("DELETE", f"/residents/{rid}/tags/党员", None),
        (
            "POST",
            f"/residents/{rid}/move",
            {"house_id": world.house_a1.id, "kind": "自住", "on": "2026-11-01"},
        ),
        ("GET", f"/houses/{a2_house.id}", None),
        ("GET", f"/houses/{a2_house.id}/residents", None),
        ("PUT", f"/houses/{a2_house.id}/vacancy", {"is_vacant": True}),
        ("POST", f"/houses/{a2_house.id}/tags", {"tag": "出租房"}),
        ("GET", f"/addresses/{a2_address}", None),
        ("GET", f"/addresses/{a2_address}/buildings", None),
        ("POST", f"/addresses/{a2_address}/buildings", {"name": "9号楼"}),
        ("POST", f"/buildings/{a2_building}/houses", {"room": "999"}),
        (
            "POST",
            "/residents",
            {"house_id": a2_house.id, "name": "某人", "id_no": id_number(), "kind": "自住"},
        ),
        (
            "POST",
            "/visits",
            {
                "visited_at": "2026-11-24T01:00:00+00:00",
                "place": "x",
                "content": "y",
                "resident_ids": [rid],
            },
        ),
    ]
    for method, path, body in not_found:
        r = client.request(method, P + path, json=body, headers=h)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    forbidden: list[tuple[str, str, dict[str, object]]] = [
        ("POST", "/addresses", {"grid_code": world.t.GRID_A2, "name": "越界路"}),
        (
            "POST",
            "/patrol-tracks",
            {
                "grid_code": world.t.GRID_A2,
                "points": [
                    {"at": "2026-11-24T01:00:00+00:00", "lon": 116.4, "lat": 39.9},
                    {"at": "2026-11-24T01:05:00+00:00", "lon": 116.41, "lat": 39.9},
                ],
            },
        ),
    ]
    for method, path, body in forbidden:
        assert client.request(method, P + path, json=body, headers=h).status_code == 403, path
    # Lists and searches: nothing of A2 shows up, whatever the filter.
    for params in (
        {},
        {"name": "吴"},
        {"phone": "13987654321"},
        {"address": "永安路"},
        {"grid_id": world.res_a2.grid_id},
    ):
        items = client.get(f"{P}/residents", params=params, headers=h).json()["items"]
        assert rid not in [i["id"] for i in items], params
    assert all(
        x["grid_id"] != a2_house.grid_id for x in client.get(f"{P}/houses", headers=h).json()
    )
    assert all(x["id"] != a2_address for x in client.get(f"{P}/addresses", headers=h).json())
    assert client.get(f"{P}/visits", headers=h).json() == []
    exported = client.post(f"{P}/export", json={}, headers=world.h("street")).content.decode(
        "utf-8-sig"
    )
    assert "吴倩" in exported  # the street sees both communities …
    h2 = world.h("worker_a2")
    assert [i["id"] for i in client.get(f"{P}/residents", headers=h2).json()["items"]] == [rid]
    assert client.get(f"{P}/residents/{world.res_a1.id}", headers=h2).status_code == 404
