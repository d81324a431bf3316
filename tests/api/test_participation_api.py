"""The participation JSON API (/api/v1/participation): consultations with votes, volunteer
orders, certificates and projects, with 401/403/404/409/422, data scope, and the stored state
after each refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_consultation, make_pworld

from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import ConsultationVote
from civicgrid.participation.volunteers.models import ServiceOrder, ServiceRecord

BASE = "/api/v1/participation"
A1 = "110105001001"
A2 = "110105001002"


@pytest.fixture
def pworld(session: Session, now: datetime) -> PWorld:
    w = make_pworld(session, now=now)
    session.commit()
    return w


def _h(world: PWorld, who: str) -> dict[str, str]:
    token = world.tokens[who] if who in world.tokens else world[who].token
    return {"Authorization": f"Bearer {token}"}


def _post(client: TestClient, world: PWorld, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=_h(world, who))


def _get(client: TestClient, world: PWorld, who: str, path: str) -> Any:
    return client.get(f"{BASE}{path}", headers=_h(world, who))


def _count(session: Session, model: type[Any]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_anonymous_requests_get_401(client: TestClient) -> None:
    assert client.get(f"{BASE}/consultations").status_code == 401
    assert client.post(f"{BASE}/orders", json={}).status_code == 401


def test_consultation_flow_over_http(client: TestClient, pworld: PWorld, now: datetime) -> None:
    r = _post(
        client,
        pworld,
        "staff_a1",
        "/consultations",
        {
            "title": "停车难",
            "topic": "小区停车位不足",
            "region_code": A1,
            "options": ["划线停车", "错峰停车"],
        },
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["status"] == "proposed"
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/consultations/{cid}/participants",
        {"category": "party_org", "name": "党委书记"},
    )
    assert r.status_code == 201
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/consultations/{cid}/notice",
        {"notice_text": "周五开会", "materials": "停车方案"},
    )
    assert r.json()["status"] == "noticed"
    detail = _get(client, pworld, "王芳", f"/consultations/{cid}").json()
    option = detail["options"][0]["id"]
    r = _post(client, pworld, "王芳", f"/consultations/{cid}/votes", {"option_id": option})
    assert r.status_code == 201, r.text
    r = _post(client, pworld, "王芳", f"/consultations/{cid}/votes", {"option_id": option})
    assert r.status_code == 409
    assert "一票" in r.json()["detail"]
    detail = _get(client, pworld, "王芳", f"/consultations/{cid}").json()
    assert detail["my_option_id"] == option
    assert detail["options"][0]["votes"] == 1
    # the resident of another community does not see the topic at all
    assert _get(client, pworld, "赵敏", f"/consultations/{cid}").status_code == 404
    listed = _get(client, pworld, "赵敏", "/consultations").json()
    assert cid not in [c["id"] for c in listed]


def test_staff_of_another_community_cannot_manage_a_consultation(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    r = _post(client, pworld, "staff_a2", f"/consultations/{c.id}/cancel", {"reason": "无"})
    assert r.status_code == 404
    assert _get(client, pworld, "staff_a2", f"/consultations/{c.id}").status_code == 404
    r = _post(
        client,
        pworld,
        "staff_a2",
        "/consultations",
        {"title": "x", "topic": "y", "region_code": A1},
    )
    assert r.status_code == 404


def test_a_leader_reads_but_gets_403_on_management(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    assert _get(client, pworld, "leader", f"/consultations/{c.id}").status_code == 200
    r = _post(client, pworld, "leader", f"/consultations/{c.id}/cancel", {"reason": "无"})
    assert r.status_code == 403


def test_bad_bodies_get_422_and_wrong_steps_409(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/consultations/{c.id}/participants",
        {"category": "nobody", "name": "x"},
    )
    assert r.status_code == 422
    r = _post(
        client, pworld, "staff_a1", f"/consultations/{c.id}/resolution", {"resolution": "同意"}
    )
    assert r.status_code == 409
    r = _post(client, pworld, "staff_a1", f"/consultations/{c.id}/notice", {"notice_text": "x"})
    assert r.status_code == 422  # no participants yet
    assert _get(client, pworld, "staff_a1", "/consultations/999999").status_code == 404


def test_double_vote_on_behalf_leaves_one_vote(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=st.ConsultationStatus.HELD)
    detail = _get(client, pworld, "staff_a1", f"/consultations/{c.id}").json()
    body = {"option_id": detail["options"][1]["id"], "resident_id": pworld["李强"].resident.id}
    assert (
        _post(client, pworld, "staff_a1", f"/consultations/{c.id}/votes", body).status_code == 201
    )
    assert (
        _post(client, pworld, "staff_a1", f"/consultations/{c.id}/votes", body).status_code == 409
    )
    assert _count(session, ConsultationVote) == 1


def test_order_flow_over_http(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    team = _post(
        client,
        pworld,
        "staff_a1",
        "/teams",
        {"region_code": A1, "name": "橙色助老队", "colour": "orange"},
    ).json()
    r = _post(
        client,
        pworld,
        "李强",
        "/volunteers",
        {"region_code": A1, "name": "李强", "skills": ["维修"], "team_id": team["id"]},
    )
    assert r.status_code == 201, r.text
    volunteer = r.json()
    r = _post(client, pworld, "王芳", "/orders", {"region_code": A1, "title": "换灯泡"})
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "ordered"
    assert (
        _post(
            client, pworld, "staff_a2", f"/orders/{order['id']}/assign", {"team_id": team["id"]}
        ).status_code
        == 404
    )
    r = _post(client, pworld, "staff_a1", f"/orders/{order['id']}/assign", {"team_id": team["id"]})
    assert r.json()["status"] == "assigned"
    mine = client.get(f"{BASE}/orders", params={"mine": "true"}, headers=_h(pworld, "李强"))
    assert [o["id"] for o in mine.json()] == [order["id"]]
    assert _post(client, pworld, "李强", f"/orders/{order['id']}/take", {}).status_code == 200
    r = _post(client, pworld, "李强", f"/orders/{order['id']}/take", {})
    assert r.status_code == 409
    start = (now - timedelta(hours=2)).isoformat()
    end = now.isoformat()
    r = _post(
        client,
        pworld,
        "李强",
        f"/orders/{order['id']}/record",
        {"started_at": end, "ended_at": start},
    )
    assert r.status_code == 422
    r = _post(
        client,
        pworld,
        "李强",
        f"/orders/{order['id']}/record",
        {"started_at": start, "ended_at": end, "travel_minutes": -3},
    )
    assert r.status_code == 422
    assert _count(session, ServiceRecord) == 0
    r = _post(
        client,
        pworld,
        "李强",
        f"/orders/{order['id']}/record",
        {"started_at": start, "ended_at": end, "travel_minutes": 20},
    )
    assert r.status_code == 201
    assert r.json()["hours"] == "1.67"
    assert _post(client, pworld, "李强", f"/orders/{order['id']}/confirm", {}).status_code == 403
    assert _post(client, pworld, "王芳", f"/orders/{order['id']}/confirm", {}).status_code == 200
    r = _post(client, pworld, "王芳", f"/orders/{order['id']}/rating", {"rating": 9})
    assert r.status_code == 422
    r = _post(client, pworld, "王芳", f"/orders/{order['id']}/rating", {"rating": 5})
    assert r.json()["status"] == "rated"
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/volunteers/{volunteer['id']}/certificates",
        {"signer": "张书记", "handler": "刘干事", "contact": "010-65000000"},
    )
    assert r.status_code == 201
    cert = r.json()
    assert cert["hours"] == "1.67"
    assert _get(client, pworld, "李强", f"/certificates/{cert['id']}").status_code == 200
    assert _get(client, pworld, "staff_a2", f"/certificates/{cert['id']}").status_code == 404
    assert _get(client, pworld, "李强", "/volunteers/me").json()["confirmed_hours"] == "1.67"


def test_resident_cannot_read_staff_ledgers(client: TestClient, pworld: PWorld) -> None:
    assert _get(client, pworld, "王芳", "/volunteers").status_code == 403
    assert _get(client, pworld, "王芳", "/projects").status_code == 403
    assert (
        _post(client, pworld, "王芳", "/teams", {"region_code": A1, "name": "x"}).status_code == 403
    )


def test_order_from_another_community_is_403_and_nothing_is_stored(
    client: TestClient, pworld: PWorld, session: Session
) -> None:
    r = _post(client, pworld, "王芳", "/orders", {"region_code": A2, "title": "助浴"})
    assert r.status_code == 403
    assert _count(session, ServiceOrder) == 0


def test_project_flow_over_http(client: TestClient, pworld: PWorld) -> None:
    r = _post(
        client,
        pworld,
        "staff_a1",
        "/projects",
        {
            "region_code": A1,
            "year": 2027,
            "title": "楼道照明",
            "applicant": "居委会",
            "budget_fen": 100000,
        },
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert (
        _post(client, pworld, "staff_a1", f"/projects/{pid}/review", {"approve": True}).status_code
        == 200
    )
    assert (
        _post(
            client, pworld, "staff_a1", f"/projects/{pid}/claim", {"claimed_by": "幸福物业"}
        ).status_code
        == 200
    )
    assert (
        _post(
            client, pworld, "staff_a1", f"/projects/{pid}/claim", {"claimed_by": "别家"}
        ).status_code
        == 409
    )
    assert _post(client, pworld, "staff_a1", f"/projects/{pid}/start", {}).status_code == 200
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/projects/{pid}/expenses",
        {"amount_fen": 200000, "spent_on": "2026-11-20", "note": "灯具"},
    )
    assert r.status_code == 422
    r = _post(
        client,
        pworld,
        "staff_a1",
        f"/projects/{pid}/expenses",
        {"amount_fen": 50000, "spent_on": "2026-11-20", "note": "灯具"},
    )
    assert r.status_code == 201
    assert _get(client, pworld, "staff_a1", f"/projects/{pid}").json()["spent_yuan"] == "500.00"
    assert _get(client, pworld, "staff_a2", f"/projects/{pid}").status_code == 404


def test_participants_and_options_are_revised_before_the_notice_only(
    client: TestClient, pworld: PWorld, session: Session, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    session.commit()
    r = _post(client, pworld, "staff_a1", f"/consultations/{c.id}/participants", {
        "category": "unit", "name": "张三"})  # fmt: skip
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    options = _get(client, pworld, "staff_a1", f"/consultations/{c.id}").json()["options"]
    first, second = options[0]["id"], options[1]["id"]
    h = _h(pworld, "staff_a1")
    path = f"{BASE}/consultations/{c.id}"
    r = client.put(
        f"{path}/participants/{pid}", json={"category": "property", "name": "李四"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert (r.json()["category"], r.json()["name"]) == ("property", "李四")
    r = client.put(f"{path}/options/{first}", json={"label": "暂缓"}, headers=h)
    assert r.status_code == 409  # the label of the other option
    r = client.put(f"{path}/options/{first}", json={"label": ""}, headers=h)
    assert r.status_code == 422
    r = client.put(f"{path}/options/{first}", json={"label": "分摊加装"}, headers=h)
    assert r.status_code == 200
    assert r.json()["label"] == "分摊加装"
    # staff of another community do not see it; residents may not manage it
    other = _h(pworld, "staff_a2")
    assert client.delete(f"{path}/options/{second}", headers=other).status_code == 404
    resident = _h(pworld, "王芳")
    assert client.delete(f"{path}/participants/{pid}", headers=resident).status_code == 403
    assert client.delete(f"{path}/options/{second}", headers=h).status_code == 204
    assert client.delete(f"{path}/participants/{pid}", headers=h).status_code == 204
    assert client.delete(f"{path}/participants/{pid}", headers=h).status_code == 404
    detail = _get(client, pworld, "staff_a1", f"/consultations/{c.id}").json()
    assert [o["label"] for o in detail["options"]] == ["分摊加装"]
    assert detail["participants"] == []
    # after the notice: 409, nothing changes
    noticed = make_consultation(session, pworld, now=now, status=st.ConsultationStatus.NOTICED)
    session.commit()
    npath = f"{BASE}/consultations/{noticed.id}"
    option_id = _get(client, pworld, "staff_a1", f"/consultations/{noticed.id}").json()["options"][
        0
    ]["id"]
    r = client.delete(f"{npath}/options/{option_id}", headers=h)
    assert r.status_code == 409
    assert "公告发布后" in r.json()["detail"]
    assert (
        len(_get(client, pworld, "staff_a1", f"/consultations/{noticed.id}").json()["options"]) == 2
    )
