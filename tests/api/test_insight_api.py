"""The proactive-governance JSON API (/api/v1/insight): every endpoint, with 401/403/404/409/
422 and the stored state after."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.builders.insight_texts import SUBSIDY

from civicgrid.audit.models import AuditEntry
from civicgrid.insight import service as insight_service
from civicgrid.insight.models import GovernanceTask, TaskAppealLink

BASE = "/api/v1/insight"
NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]


def _get(client: TestClient, world: World, who: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}{path}", params=params, headers=world[who].headers)


def _post(client: TestClient, world: World, who: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{BASE}{path}", json=body, headers=world[who].headers)


def _task_body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "year": 2026,
        "month": 11,
        "theme": "冬季供暖保障",
        "title": "老旧小区暖气不热",
        "lead_department_code": MiniTerritory.DEPARTMENT,
        "category": "供暖",
        "measures": "排查管网",
        "milestones": [{"title": "完成排查", "due_on": "2026-12-10"}],
    }
    body.update(extra)
    return body


def test_every_endpoint_needs_a_login(client: TestClient) -> None:
    for path in ("/hotspots?period=2026-11", "/trends", "/forecast", "/tasks", "/tasks/1"):
        assert client.get(f"{BASE}{path}").status_code == 401
    assert client.get(f"{BASE}/topics/candidates", params={"period": "2026-11"}).status_code == 401
    assert client.post(f"{BASE}/tasks", json=_task_body()).status_code == 401
    for action in ("milestones", "status", "appeals"):
        assert client.post(f"{BASE}/tasks/1/{action}", json={}).status_code == 401


def test_residents_may_not_read_and_only_leaders_adopt(client: TestClient, world: World) -> None:
    assert _get(client, world, "resident", "/hotspots", period="2026-11").status_code == 403
    assert _get(client, world, "resident", "/trends").status_code == 403
    response = _post(client, world, "dispatcher", "/tasks", _task_body())
    assert response.status_code == 403
    assert "领导" in response.json()["detail"]
    assert (
        _post(client, world, "operator", "/tasks/1/status", {"status": "cancelled"}).status_code
        == 403
    )


def test_hotspots_of_a_period(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    numbers = []
    for i, title in enumerate(NOISE):
        appeal = make_appeal(
            session,
            world=world,
            now=now - timedelta(days=i + 1),
            title=title,
            content=f"{title}，已经持续一周。",
            caller_phone=f"1390000000{i}",
        )
        numbers.append(appeal.number)
    session.commit()

    response = _get(client, world, "leader", "/hotspots", period="2026-11")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["appeals"] == 3
    assert body["period_label"] == "2026年11月"
    (hot,) = body["hotspots"]
    assert sorted(hot["members"]) == sorted(numbers)
    assert hot["rank"] == 1
    assert hot["callers"] == 3
    assert len(hot["samples"]) == 3
    assert set(hot["heat_parts"]) == {"size", "callers", "votes", "growth", "severity"}
    assert hot["topic"] == ""  # a problem at one place, not a topic


def test_a_topic_problem_names_its_topic_live_and_from_the_snapshot(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    places = (  # asked all over the district: no one place
        MiniTerritory.COMMUNITY_A1,
        MiniTerritory.COMMUNITY_A2,
        MiniTerritory.GRID_A1,
        MiniTerritory.GRID_A2,
        MiniTerritory.STREET_A,
    )
    for i, (title, code) in enumerate(zip(SUBSIDY, places, strict=True)):
        make_appeal(
            session,
            world=world,
            now=now - timedelta(days=i + 1),
            title=title,
            content=f"{title}，请相关部门答复。",
            caller_phone=f"1370000000{i}",
            region_code=code,
        )
    session.commit()
    live = _get(client, world, "leader", "/hotspots", period="2026-11").json()
    insight_service.refresh_hotspot_snapshots(session, now=now)
    cached = _get(client, world, "leader", "/hotspots", period="2026-11").json()

    assert cached["computed_at"] is not None
    for body in (live, cached):
        (hot,) = [h for h in body["hotspots"] if h["topic"]]
        assert hot["topic"] in {"人才购房", "购房补贴"}  # the phrase the five titles share
        assert hot["topic"] in hot["label"]
        assert hot["size"] == 5
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["HotspotRead"]
    assert "专题问题" in schema["properties"]["topic"]["description"]


def test_a_task_adopted_under_a_districts_topic(
    client: TestClient, session: Session, world: World
) -> None:
    body = _task_body(region_code=MiniTerritory.DISTRICT_A, district_topic=True)
    city = _post(client, world, "leader", "/tasks", _task_body(theme="全市主题", title="全市问题"))
    district = _post(client, world, "leader", "/tasks", body)

    assert (city.status_code, district.status_code) == (201, 201), district.text
    assert district.json()["theme"] == "冬季供暖保障"  # not the city's theme: no clash


def test_hotspots_come_from_the_jobs_snapshot_while_fresh(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    numbers = [
        make_appeal(
            session, world=world, now=now - timedelta(days=i + 1), title=t, content=f"{t}。"
        ).number
        for i, t in enumerate(NOISE)
    ]
    live = _get(client, world, "leader", "/hotspots", period="2026-11").json()
    insight_service.refresh_hotspot_snapshots(session, now=now)

    cached = _get(client, world, "leader", "/hotspots", period="2026-11").json()
    forced = _get(client, world, "leader", "/hotspots", period="2026-11", fresh="true").json()
    other_street = _get(client, world, "street_b", "/hotspots", period="2026-11").json()

    assert live["computed_at"] is None
    assert cached["computed_at"] is not None
    assert datetime.fromisoformat(cached["computed_at"]) == now
    assert forced["computed_at"] is None
    assert [sorted(h["members"]) for h in cached["hotspots"]] == [sorted(numbers)]
    assert cached["hotspots"] == live["hotspots"] == forced["hotspots"]
    assert other_street["computed_at"] is not None
    assert (other_street["appeals"], other_street["hotspots"]) == (0, [])


def test_hotspots_of_an_empty_period_are_an_empty_list(client: TestClient, world: World) -> None:
    response = _get(client, world, "leader", "/hotspots", period="2020-01")

    assert response.status_code == 200
    assert response.json()["hotspots"] == []


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"period": "2026-13"},
        {"period": "last month"},
        {"period": "2026-11", "limit": 0},
        {"period": "2026-11", "fresh": "maybe"},
    ],
)
def test_bad_hotspot_parameters_are_422(
    client: TestClient, world: World, params: dict[str, Any]
) -> None:
    assert _get(client, world, "leader", "/hotspots", **params).status_code == 422


def test_a_region_outside_the_scope_is_404(client: TestClient, world: World) -> None:
    response = _get(
        client, world, "street_b", "/hotspots", period="2026-11", region=MiniTerritory.STREET_A
    )
    assert response.status_code == 404


def test_trends_and_forecast(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, now=now - timedelta(days=8), title="暖气不热")
    session.commit()

    trends = _get(client, world, "supervisor", "/trends", weeks=8, by="region")
    forecast = _get(client, world, "supervisor", "/forecast", months=6, backtest=3)

    assert trends.status_code == 200, trends.text
    series = {s["key"]: s for s in trends.json()["series"]}
    assert series["全部"]["total"] == 1
    assert len(series["全部"]["weeks"]) == 8
    assert "朝阳区" in series
    assert forecast.status_code == 200, forecast.text
    body = forecast.json()
    assert body["month"] == "2026-11"
    assert body["series"][0]["key"] == "全部"
    assert len(body["series"][0]["history"]) == 6
    assert _get(client, world, "leader", "/trends", by="street").status_code == 422
    assert _get(client, world, "leader", "/forecast", months=1).status_code == 422


def test_topic_candidates(client: TestClient, world: World) -> None:
    response = _get(client, world, "leader", "/topics/candidates", period="2026-11")

    assert response.status_code == 200
    assert response.json() == []
    assert _get(client, world, "leader", "/topics/candidates").status_code == 422


def test_adopt_track_and_read_a_task(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, title="暖气不热")
    session.commit()

    created = _post(client, world, "leader", "/tasks", _task_body())
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["status"] == "planned"
    assert task["status_label"] == "已立项"
    assert [m["title"] for m in task["milestones"]] == ["完成排查"]
    task_id = task["id"]

    milestone = _post(
        client,
        world,
        "supervisor",
        f"/tasks/{task_id}/milestones",
        {"title": "整改过半", "due_on": "2027-01-10"},
    )
    assert milestone.status_code == 201, milestone.text
    moved = _post(client, world, "leader", f"/tasks/{task_id}/status", {"status": "in_progress"})
    assert moved.json()["status"] == "in_progress"
    linked = _post(
        client, world, "leader", f"/tasks/{task_id}/appeals", {"appeal_ids": [appeal.id]}
    )
    assert linked.json() == {"task_id": task_id, "linked": 1}

    listing = _get(client, world, "operator", "/tasks")
    detail = _get(client, world, "operator", f"/tasks/{task_id}", months=2)

    assert [t["linked_appeals"] for t in listing.json()] == [1]
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["lead_department"] == "朝阳区城管执法局"
    assert body["linked_appeal_ids"] == [appeal.id]
    assert [v["month"] for v in body["volumes"]] == ["2026-09", "2026-10", "2026-11"]
    assert body["linked_comparison"]["before_mean"] == 0.0
    assert len(body["milestones"]) == 2
    assert session.scalar(select(func.count()).select_from(TaskAppealLink)) == 1
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("insight.%")))
    )
    assert actions == {
        "insight.task.adopt",
        "insight.task.milestone",
        "insight.task.status",
        "insight.task.link",
    }


def test_task_refusals(client: TestClient, session: Session, world: World) -> None:
    assert _post(client, world, "leader", "/tasks", _task_body(month=13)).status_code == 422
    assert _post(client, world, "leader", "/tasks", _task_body(title="")).status_code == 422
    unknown = _post(client, world, "leader", "/tasks", _task_body(lead_department_code="NOPE"))
    assert unknown.status_code == 422
    assert "NOPE" in unknown.json()["detail"]
    assert _get(client, world, "leader", "/tasks/999").status_code == 404

    task_id = _post(client, world, "leader", "/tasks", _task_body()).json()["id"]
    other_theme = _post(client, world, "leader", "/tasks", _task_body(theme="别的"))
    assert other_theme.status_code == 409
    done = _post(client, world, "leader", f"/tasks/{task_id}/status", {"status": "completed"})
    assert done.status_code == 409
    assert (
        _post(client, world, "leader", f"/tasks/{task_id}/status", {"status": "x"}).status_code
        == 422
    )
    missing = _post(client, world, "leader", f"/tasks/{task_id}/appeals", {"appeal_ids": [424242]})
    assert missing.status_code == 404
    assert (
        _post(client, world, "leader", f"/tasks/{task_id}/appeals", {"appeal_ids": []}).status_code
        == 422
    )
    assert session.scalar(select(func.count()).select_from(GovernanceTask)) == 1
