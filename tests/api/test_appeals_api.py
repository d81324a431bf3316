"""The appeals JSON API: every endpoint, with 401/403/404/409/422 and the stored state after."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import JPEG, PNG, World, make_appeal, reloaded, timeline_count
from tests.builders.auth import MiniTerritory

from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal, Callback
from civicgrid.appeals.states import AppealStatus
from civicgrid.config import Settings

S = AppealStatus
BASE = "/api/v1/appeals"


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=world[who].headers)


def _get(client: TestClient, world: World, who: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}{path}", params=params, headers=world[who].headers)


def _new(client: TestClient, world: World, **extra: Any) -> dict[str, Any]:
    body = {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": "楼道堆物",
        "content": "三号楼楼道堆满杂物，存在消防隐患。",
        "region_id": world.region_id(MiniTerritory.COMMUNITY_A1),
        "caller_name": "李四",
        "caller_phone": "13900001111",
    }
    body.update(extra)
    who = str(body.pop("who", "operator"))
    response = _post(client, world, who, "", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _status(session: Session, appeal_id: int) -> str:
    return reloaded(session, appeal_id).status


def test_requires_authentication(client: TestClient, world: World) -> None:
    assert client.get(BASE).status_code == 401
    assert client.post(BASE, json={}).status_code == 401
    assert client.get(f"{BASE}/1").status_code == 401
    assert client.post(f"{BASE}/1/sign", json={}).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.get(BASE, headers=bad).status_code == 401


def test_create_answers_short_and_the_detail_is_at_location(
    client: TestClient, world: World, session: Session
) -> None:
    body = {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": "楼道堆物",
        "content": "三号楼楼道堆满杂物，存在消防隐患。",
        "region_id": world.region_id(MiniTerritory.COMMUNITY_A1),
        "caller_name": "李四",
        "caller_phone": "13900001111",
        "confidential": True,
    }
    response = _post(client, world, "operator", "", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{BASE}/{created['id']}"
    assert created["status"] == "received"
    assert created["status_label"] == "已受理"
    assert created["number"].startswith("20261124")
    assert created["region_id"] == body["region_id"]
    assert created["deadline"]["kind"] == "dispatch"
    assert created["deadline"]["warning"] == "green"
    assert created["deadline"]["due_at"] == created["dispatch_due_at"]
    assert created["response_due_at"] is None
    assert created["version"] == 1
    # The short answer leaves out the caller and the records; GET at Location has them.
    assert not {"caller", "timeline", "allowed_actions", "content"} & created.keys()
    detail = client.get(response.headers["location"], headers=world["operator"].headers)
    assert detail.status_code == 200
    full = detail.json()
    assert full["number"] == created["number"]
    assert full["caller"] == {"name": "李*", "phone": "139****1111", "hidden": True}
    assert [e["action"] for e in full["timeline"]] == ["submit"]
    assert {"accept", "dispatch", "merge"} <= {a["action"] for a in full["allowed_actions"]}
    detail = _get(client, world, "dispatcher", f"/{created['id']}")
    assert detail.status_code == 200
    assert detail.json()["id"] == created["id"]
    assert _get(client, world, "district_b_operator", f"/{created['id']}").status_code == 404
    assert _get(client, world, "operator", "/999999").status_code == 404


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"lon": 39.9, "lat": 116.4}, "坐标"),
        ({"lon": 116.4}, "经纬度"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"title": ""}, "标题"),
        ({"region_id": 999999}, "区域"),
        ({"region_id": 2**40}, "region_id"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_create_refusals(
    client: TestClient, world: World, session: Session, extra: dict[str, Any], fragment: str
) -> None:
    body = {
        "channel": "hotline",
        "appeal_type": "complaint",
        "title": "楼道堆物",
        "content": "内容",
        **extra,
    }
    response = _post(client, world, "operator", "", body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert session.scalar(select(func.count()).select_from(Appeal)) == 0


def test_resident_snapshot_with_photos(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    settings.media_max_bytes = 4096
    photo = base64.b64encode(PNG).decode()
    body = {
        "channel": "snapshot",
        "appeal_type": "report",
        "title": "井盖缺失",
        "content": "路口井盖缺失",
        "lon": 116.45,
        "lat": 39.91,
        "photos": [photo],
    }
    response = _post(client, world, "resident", "", body)
    assert response.status_code == 201, response.text
    data = client.get(response.headers["location"], headers=world["resident"].headers).json()
    assert data["caller"]["hidden"] is False
    url = data["attachments"][0]["url"]
    image = client.get(url, headers=world["resident"].headers)
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"
    assert client.get(url, headers=world["resident2"].headers).status_code == 404
    bad = {**body, "photos": [base64.b64encode(b"GIF89a....").decode()]}
    assert _post(client, world, "resident", "", bad).status_code == 422
    big = {**body, "photos": [base64.b64encode(PNG + b"\x00" * 5000).decode()]}
    assert _post(client, world, "resident", "", big).status_code == 422
    hotline = {**body, "channel": "hotline"}
    assert _post(client, world, "resident", "", hotline).status_code == 403
    assert session.scalar(select(func.count()).select_from(Appeal)) == 1


def test_upload_attachment(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.SIGNED)
    session.commit()
    files = [("files", ("a.jpg", JPEG, "image/jpeg"))]
    response = client.post(
        f"{BASE}/{appeal.id}/attachments", files=files, headers=world["street_a"].headers
    )
    assert response.status_code == 201, response.text
    assert response.json()[0]["content_type"] == "image/jpeg"
    bad = [("files", ("a.jpg", b"text", "image/jpeg"))]
    response = client.post(
        f"{BASE}/{appeal.id}/attachments", files=bad, headers=world["street_a"].headers
    )
    assert response.status_code == 422
    assert (
        client.get(
            f"{BASE}/{appeal.id}/attachments/999999", headers=world["street_a"].headers
        ).status_code
        == 404
    )


def test_full_hotline_flow(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = _new(client, world)
    aid = appeal["id"]
    dept = world.department
    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("operator", "accept", {}, "pending_dispatch"),
        (
            "dispatcher",
            "dispatch",
            {
                "lead": {"kind": dept[0], "id": dept[1]},
                "co_units": [{"kind": "region", "id": world.street_a[1]}],
            },
            "dispatched",
        ),
        ("department", "sign", {}, "signed"),
        ("department", "contact", {"note": "已电话联系"}, "in_progress"),
    ]
    for who, path, body, expected in steps:
        response = _post(client, world, who, f"/{aid}/{path}", body)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["status"] == expected
    data = response.json()
    due = datetime.fromisoformat(data["finish_due_at"])
    new_due = (due + timedelta(days=3)).isoformat()
    response = _post(
        client,
        world,
        "department",
        f"/{aid}/extension",
        {"reason": "需协调", "new_due_at": new_due},
    )
    assert response.json()["status"] == "extension_requested"
    response = _post(client, world, "dispatcher", f"/{aid}/extension/approve", {})
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["finish_due_at"]) == datetime.fromisoformat(
        new_due
    )
    response = _post(client, world, "department", f"/{aid}/reply", {"text": "已清理"})
    assert response.json()["status"] == "replied"
    response = _post(
        client,
        world,
        "operator",
        f"/{aid}/callback",
        {"resolved": False, "satisfaction": "dissatisfied", "reopen": True, "reason": "未清理干净"},
    )
    assert response.json()["status"] == "in_progress"
    assert response.json()["reopen_count"] == 1
    _post(client, world, "department", f"/{aid}/reply", {"text": "已彻底清理"})
    response = _post(
        client,
        world,
        "operator",
        f"/{aid}/callback",
        {"resolved": True, "satisfaction": "satisfied"},
    )
    data = response.json()
    assert data["status"] == "closed"
    assert [c["satisfaction"] for c in data["callbacks"]] == ["dissatisfied", "satisfied"]
    assert data["timeline"][-1]["action_label"] == "回访结案"
    # the department handler does not see the caller of a non-confidential appeal masked
    seen = _get(client, world, "department", f"/{aid}").json()["caller"]
    assert seen["phone"] == "13900001111"


def test_action_refusals_leave_state(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = _new(client, world)
    aid = appeal["id"]
    events = timeline_count(session, aid)
    # 409: impossible in this status
    response = _post(client, world, "street_a", f"/{aid}/sign", {})
    assert response.status_code == 409
    assert "签收" in response.json()["detail"]
    # 403: role may not dispatch
    response = _post(
        client,
        world,
        "street_a",
        f"/{aid}/dispatch",
        {"lead": {"kind": "region", "id": world.street_a[1]}},
    )
    assert response.status_code == 403
    # 422: missing reason
    response = _post(client, world, "operator", f"/{aid}/explain", {"text": ""})
    assert response.status_code == 422
    # 422: pydantic shape
    response = _post(
        client, world, "dispatcher", f"/{aid}/dispatch", {"lead": {"kind": "moon", "id": 1}}
    )
    assert response.status_code == 422
    # 409: stale version
    response = _post(
        client, world, "operator", f"/{aid}/accept", {"expected_version": appeal["version"] + 5}
    )
    assert response.status_code == 409
    # 404: out of scope
    response = _post(client, world, "district_b_operator", f"/{aid}/accept", {})
    assert response.status_code == 404
    assert _status(session, aid) == "received"
    assert timeline_count(session, aid) == events
    # the right version goes through
    response = _post(
        client, world, "operator", f"/{aid}/accept", {"expected_version": appeal["version"]}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("answer", {"text": "工作日9点到17点"}, "answered_directly"),
        ("transfer-emergency", {"line": "119"}, "transferred_emergency"),
        ("redirect-legal-route", {"text": "请向法院起诉"}, "redirected_legal_route"),
        ("explain", {"text": "涉及隐私"}, "explained"),
        ("refer-police", {"text": "恶意占线"}, "referred_police"),
    ],
)
def test_dispositions_and_close(
    client: TestClient, world: World, path: str, body: dict[str, Any], expected: str
) -> None:
    aid = _new(client, world)["id"]
    response = _post(client, world, "operator", f"/{aid}/{path}", body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == expected
    response = _post(client, world, "operator", f"/{aid}/close", {})
    assert response.json()["status"] == "closed"


def test_send_back_flow(client: TestClient, world: World) -> None:
    aid = _new(client, world)["id"]
    lead = {"kind": "region", "id": world.street_a[1]}
    _post(client, world, "dispatcher", f"/{aid}/dispatch", {"lead": lead})
    assert _post(client, world, "street_a", f"/{aid}/return", {"text": ""}).status_code == 422
    response = _post(client, world, "street_a", f"/{aid}/return", {"text": "属于部门职责"})
    assert response.json()["status"] == "return_requested"
    response = _post(client, world, "dispatcher", f"/{aid}/return/approve", {})
    assert response.json()["status"] == "pending_dispatch"
    assert response.json()["returns"][0]["decision"] == "approved"
    dept = {"kind": "department", "id": world.department[1]}
    _post(client, world, "dispatcher", f"/{aid}/dispatch", {"lead": dept})
    _post(client, world, "department", f"/{aid}/return", {"text": "不是我们"})
    response = _post(client, world, "dispatcher", f"/{aid}/return/reject", {"text": "属于城管"})
    assert response.json()["status"] == "signed"


@pytest.mark.parametrize(
    ("request_path", "decision_path", "expected"),
    [
        ("termination", "termination/approve", "terminated"),
        ("termination", "termination/reject", "in_progress"),
        ("park", "park/approve", "parked"),
        ("park", "park/reject", "in_progress"),
    ],
)
def test_reviewed_steps(
    client: TestClient,
    world: World,
    session: Session,
    now: datetime,
    request_path: str,
    decision_path: str,
    expected: str,
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    session.commit()
    aid = appeal.id
    assert _post(client, world, "street_a", f"/{aid}/{request_path}", {}).status_code == 422
    assert (
        _post(client, world, "street_a", f"/{aid}/{request_path}", {"text": "理由"}).status_code
        == 200
    )
    assert (
        _post(client, world, "street_a", f"/{aid}/{decision_path}", {"text": "x"}).status_code
        == 403
    )
    response = _post(client, world, "dispatcher", f"/{aid}/{decision_path}", {"text": "审核意见"})
    assert response.json()["status"] == expected
    if expected == "parked":
        response = _post(client, world, "street_a", f"/{aid}/unpark", {"text": "条件具备"})
        assert response.json()["status"] == "in_progress"


def test_extension_reject_and_close_without_callback(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    session.commit()
    aid = appeal.id
    past = (now - timedelta(days=1)).isoformat()
    assert (
        _post(
            client, world, "street_a", f"/{aid}/extension", {"reason": "x", "new_due_at": past}
        ).status_code
        == 422
    )
    naive = "2026-12-30T10:00:00"
    assert (
        _post(
            client, world, "street_a", f"/{aid}/extension", {"reason": "x", "new_due_at": naive}
        ).status_code
        == 422
    )
    later = (now + timedelta(days=40)).isoformat()
    _post(client, world, "street_a", f"/{aid}/extension", {"reason": "协调", "new_due_at": later})
    response = _post(client, world, "dispatcher", f"/{aid}/extension/reject", {"text": "理由不足"})
    assert response.json()["extensions"][0]["decision"] == "rejected"
    _post(client, world, "street_a", f"/{aid}/reply", {"text": "已处理"})
    assert (
        _post(client, world, "operator", f"/{aid}/close-without-callback", {"text": ""}).status_code
        == 422
    )
    response = _post(
        client, world, "operator", f"/{aid}/close-without-callback", {"text": "电话空号"}
    )
    assert response.json()["status"] == "closed"


def test_merge_and_merged_callback(client: TestClient, world: World, session: Session) -> None:
    target = _new(client, world)
    dup = _new(client, world, caller_phone="13700002222")
    response = _post(
        client, world, "operator", f"/{dup['id']}/merge", {"target_number": target["number"]}
    )
    assert response.json()["status"] == "merged"
    # the merged caller cannot be called back before the main order is replied
    response = _post(
        client,
        world,
        "operator",
        f"/{dup['id']}/callback",
        {"resolved": True, "satisfaction": "satisfied"},
    )
    assert response.status_code == 409
    tid = target["id"]
    _post(
        client,
        world,
        "dispatcher",
        f"/{tid}/dispatch",
        {"lead": {"kind": "region", "id": world.street_a[1]}},
    )
    _post(client, world, "street_a", f"/{tid}/sign", {})
    _post(client, world, "street_a", f"/{tid}/contact", {})
    _post(client, world, "street_a", f"/{tid}/reply", {"text": "已清理"})
    response = _post(
        client,
        world,
        "operator",
        f"/{dup['id']}/callback",
        {"resolved": True, "satisfaction": "fairly_satisfied"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "merged"
    response = _post(
        client,
        world,
        "operator",
        f"/{tid}/callback",
        {"resolved": True, "satisfaction": "satisfied"},
    )
    assert response.json()["status"] == "closed"
    assert [m["id"] for m in response.json()["merged"]] == [dup["id"]]
    rows = session.scalars(select(Callback).order_by(Callback.id)).all()
    assert [(r.appeal_id, r.satisfaction) for r in rows] == [
        (dup["id"], "fairly_satisfied"),
        (tid, "satisfied"),
    ]


def test_grid_loop(client: TestClient, world: World) -> None:
    body = {
        "who": "grid_a1",
        "channel": "grid_patrol",
        "appeal_type": "report",
        "region_id": world.region_id(MiniTerritory.GRID_A1),
        "lon": 116.45,
        "lat": 39.91,
        "photos": [base64.b64encode(PNG).decode()],
        "caller_name": "",
        "caller_phone": "",
    }
    aid = _new(client, world, **body)["id"]
    _post(
        client,
        world,
        "dispatcher",
        f"/{aid}/dispatch",
        {"lead": {"kind": "department", "id": world.department[1]}},
    )
    _post(client, world, "department", f"/{aid}/sign", {})
    _post(client, world, "department", f"/{aid}/contact", {})
    response = _post(client, world, "department", f"/{aid}/reply", {"text": "已修复"})
    assert response.json()["status"] == "pending_verification"
    assert _post(client, world, "grid_a2", f"/{aid}/verify", {"fixed": True}).status_code == 404
    assert _post(client, world, "grid_a1", f"/{aid}/verify", {"fixed": False}).status_code == 422
    response = _post(
        client, world, "grid_a1", f"/{aid}/verify", {"fixed": False, "note": "仍未修复"}
    )
    assert response.json()["status"] == "in_progress"
    _post(client, world, "department", f"/{aid}/reply", {"text": "已再次修复"})
    response = _post(client, world, "grid_a1", f"/{aid}/verify", {"fixed": True})
    assert response.json()["status"] == "closed"


def test_whistle_arrival_supervise_remind(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    session.commit()
    aid = appeal.id
    dept_id = world.department[1]
    assert (
        _post(
            client, world, "street_a", f"/{aid}/whistle", {"department_ids": [], "reason": "x"}
        ).status_code
        == 422
    )
    assert (
        _post(
            client,
            world,
            "supervisor",
            f"/{aid}/whistle",
            {"department_ids": [dept_id], "reason": "x"},
        ).status_code
        == 403
    )
    response = _post(
        client,
        world,
        "street_a",
        f"/{aid}/whistle",
        {"department_ids": [dept_id], "reason": "违建拆除"},
    )
    assert response.status_code == 200, response.text
    whistle = response.json()["whistles"][0]
    assert datetime.fromisoformat(whistle["arrive_by"]) == now + timedelta(minutes=30)
    response = _post(
        client,
        world,
        "department",
        f"/{aid}/arrival",
        {"whistle_id": whistle["id"], "department_id": dept_id},
    )
    assert response.status_code == 200, response.text
    assert response.json()["whistles"][0]["summons"][0]["arrived_at"] is not None
    assert response.json()["status"] == "in_progress"
    assert _post(client, world, "supervisor", f"/{aid}/supervise", {"text": ""}).status_code == 422
    response = _post(client, world, "supervisor", f"/{aid}/supervise", {"text": "请本周内办结"})
    assert response.json()["supervisions"][0]["kind"] == "supervision"
    response = _post(client, world, "dispatcher", f"/{aid}/remind", {})
    assert response.json()["supervisions"][1]["kind"] == "reminder"
    assert _post(client, world, "street_a", f"/{aid}/remind", {}).status_code == 403


def test_mark_unreasonable(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    session.commit()
    aid = appeal.id
    path = f"/{aid}/mark-unreasonable"
    events = timeline_count(session, aid)
    detail = _get(client, world, "supervisor", f"/{aid}").json()
    assert "mark_unreasonable" in [a["action"] for a in detail["allowed_actions"]]
    assert _post(client, world, "supervisor", path, {"text": " "}).status_code == 422
    assert _post(client, world, "operator", path, {"text": "无理要求"}).status_code == 403
    assert _post(client, world, "street_a", path, {"text": "无理要求"}).status_code == 403
    stale = {"text": "无理要求", "expected_version": detail["version"] + 1}
    assert _post(client, world, "supervisor", path, stale).status_code == 409
    assert timeline_count(session, aid) == events
    response = _post(
        client,
        world,
        "supervisor",
        path,
        {"text": "要求单位赔偿无依据的损失", "expected_version": detail["version"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "replied"
    last = body["timeline"][-1]
    assert (last["action"], last["action_label"]) == ("mark_unreasonable", "认定不合理诉求")
    assert last["note"] == "要求单位赔偿无依据的损失"
    session.expire_all()
    stored = session.get(Appeal, aid)
    assert stored is not None
    assert stored.excluded_from_rates is True
    again = _post(client, world, "admin", path, {"text": "再次认定"})
    assert again.status_code == 409
    assert timeline_count(session, aid) == events + 1
    dispatched = make_appeal(session, world=world, now=now, status=S.DISPATCHED)
    session.commit()
    response = _post(
        client, world, "supervisor", f"/{dispatched.id}/mark-unreasonable", {"text": "x"}
    )
    assert response.status_code == 409


def test_list_filters_and_scope(
    client: TestClient, world: World, session: Session, now: datetime
) -> None:
    a = _new(client, world, title="噪音扰民", appeal_type="complaint")
    b = _new(client, world, title="路灯不亮", appeal_type="help", channel="web")
    _post(
        client,
        world,
        "dispatcher",
        f"/{b['id']}/dispatch",
        {"lead": {"kind": "department", "id": world.department[1]}},
    )
    page = _get(client, world, "operator", "").json()
    assert page["total"] == 2
    assert [i["id"] for i in _get(client, world, "operator", "", q="噪音").json()["items"]] == [
        a["id"]
    ]
    assert _get(client, world, "operator", "", status="dispatched").json()["total"] == 1
    assert _get(client, world, "operator", "", channel="web").json()["total"] == 1
    assert _get(client, world, "operator", "", appeal_type="help").json()["total"] == 1
    assert (
        _get(
            client, world, "operator", "", unit_kind="department", unit_id=world.department[1]
        ).json()["total"]
        == 1
    )
    assert _get(client, world, "operator", "", overdue=True).json()["total"] == 0
    assert _get(client, world, "operator", "", warning="green").json()["total"] == 2
    start = (now - timedelta(hours=1)).isoformat()
    assert _get(client, world, "operator", "", received_from=start).json()["total"] == 2
    assert _get(client, world, "operator", "", received_to=start).json()["total"] == 0
    assert _get(client, world, "operator", "", received_to="2026-01-01T00:00:00").status_code == 422
    assert _get(client, world, "operator", "", status="bogus").status_code == 422
    assert _get(client, world, "department", "").json()["total"] == 1
    assert _get(client, world, "utility", "").json()["total"] == 0
    assert _get(client, world, "district_b_operator", "").json()["total"] == 0
    assert _get(client, world, "street_a", "").json()["total"] == 2
    assert _get(client, world, "resident", "").json()["total"] == 0


def test_knowledge_endpoints(client: TestClient, world: World) -> None:
    body = {
        "title": "居住证办理",
        "body": "携带身份证到社区服务站办理。",
        "keywords": "居住证,办证",
    }
    response = client.post(f"{BASE}/knowledge", json=body, headers=world["operator"].headers)
    assert response.status_code == 201
    article = response.json()
    assert (
        client.post(f"{BASE}/knowledge", json=body, headers=world["street_a"].headers).status_code
        == 403
    )
    found = client.get(
        f"{BASE}/knowledge", params={"q": "居住证"}, headers=world["street_a"].headers
    )
    assert [a["id"] for a in found.json()] == [article["id"]]
    update = {**body, "is_active": False}
    response = client.put(
        f"{BASE}/knowledge/{article['id']}", json=update, headers=world["operator"].headers
    )
    assert response.json()["is_active"] is False
    assert (
        client.get(
            f"{BASE}/knowledge", params={"q": "居住证"}, headers=world["operator"].headers
        ).json()
        == []
    )
    assert (
        client.put(
            f"{BASE}/knowledge/99999", json=update, headers=world["operator"].headers
        ).status_code
        == 404
    )


def test_calendar_override_endpoints(client: TestClient, world: World) -> None:
    path = f"{BASE}/calendar/overrides/2026-11-25"
    body = {"is_working": False, "note": "临时休息"}
    assert client.put(path, json=body, headers=world["operator"].headers).status_code == 403
    response = client.put(path, json=body, headers=world["admin"].headers)
    assert response.status_code == 200
    listed = client.get(f"{BASE}/calendar/overrides", headers=world["operator"].headers).json()
    assert [r["day"] for r in listed] == ["2026-11-25"]
    assert client.delete(path, headers=world["admin"].headers).status_code == 204
    assert client.delete(path, headers=world["admin"].headers).status_code == 404
    assert (
        client.put(
            f"{BASE}/calendar/overrides/2026-13-01", json=body, headers=world["admin"].headers
        ).status_code
        == 422
    )


def test_openapi_lists_the_actions(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for action in (
        "dispatch",
        "sign",
        "contact",
        "reply",
        "callback",
        "merge",
        "whistle",
        "verify",
        "mark-unreasonable",
    ):
        assert f"{BASE}/{{appeal_id}}/{action}" in paths


# --- self-service rating (自助评价) ------------------------------------------------------------


def _resident_replied(session: Session, world: World, now: datetime) -> Appeal:
    return make_appeal(
        session,
        world=world,
        status=AppealStatus.REPLIED,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
    )


def _callback_count(session: Session, appeal_id: int) -> int:
    return int(
        session.scalar(select(func.count(Callback.id)).where(Callback.appeal_id == appeal_id)) or 0
    )


def test_resident_rates_their_appeal_through_the_api(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_replied(session, world, now)
    body = {"resolved": True, "satisfaction": "satisfied", "comment": "满意"}
    response = _post(client, world, "resident", f"/{appeal.id}/rate", body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["closed"] is True
    assert data["status"] == "closed"
    assert data["rating"]["channel"] == "self_service"
    again = _post(client, world, "resident", f"/{appeal.id}/rate", body)
    assert again.status_code == 409
    assert "已评价" in again.text
    assert _callback_count(session, appeal.id) == 1


def test_someone_elses_appeal_cannot_be_rated_through_the_api(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_replied(session, world, now)
    events = timeline_count(session, appeal.id)
    body = {"resolved": True, "satisfaction": "satisfied"}
    assert _post(client, world, "resident2", f"/{appeal.id}/rate", body).status_code == 404
    assert client.post(f"{BASE}/{appeal.id}/rate", json=body).status_code == 401
    session.expire_all()
    assert timeline_count(session, appeal.id) == events
    assert _callback_count(session, appeal.id) == 0
    assert session.get(Appeal, appeal.id).status == "replied"  # type: ignore[union-attr]


def test_caller_rates_with_number_and_phone_tail_and_is_throttled(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    wrong = {"resolved": False, "satisfaction": "dissatisfied", "number": appeal.number}
    for _ in range(5):
        r = client.post(f"{BASE}/{appeal.id}/rate", json={**wrong, "phone_last4": "0000"})
        assert r.status_code == 404
    right = {**wrong, "phone_last4": "5678"}
    locked = client.post(f"{BASE}/{appeal.id}/rate", json=right)
    assert locked.status_code == 429
    assert _callback_count(session, appeal.id) == 0


def test_caller_rating_with_the_proof_waits_for_the_callback_when_dissatisfied(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    body = {
        "resolved": False,
        "satisfaction": "dissatisfied",
        "comment": "路面仍未修复",
        "number": appeal.number,
        "phone_last4": "5678",
    }
    response = client.post(f"{BASE}/{appeal.id}/rate", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "replied"
    assert response.json()["closed"] is False
    bad = client.post(f"{BASE}/{appeal.id}/rate", json={**body, "phone_last4": "56a8"})
    assert bad.status_code == 422
