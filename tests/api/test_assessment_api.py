"""The assessment JSON API: rankings, unit detail, drill-down, report files, and the 401 / 403 /
404 / 422 answers."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World, make_appeal

from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment import service

P = "/api/v1/assessment"


@pytest.fixture
def world(session: Session, now: datetime, stored_world: StoredWorld, tmp_path: Path) -> World:
    w = stored_world.attach(session, media_root=tmp_path / "media")
    make_appeal(session, world=w, status=AppealStatus.CLOSED, now=now)
    make_appeal(session, world=w, status=AppealStatus.DISPATCHED, now=now)
    make_appeal(session, world=w, status=AppealStatus.CLOSED, now=now, lead=w.department)
    service.refresh(session, now=now + timedelta(days=2))
    return w


def test_rankings_of_streets(client: TestClient, world: World) -> None:
    r = client.get(f"{P}/rankings?period=2026-11&unit_type=street", headers=world["leader"].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"]["label"] == "2026年11月"
    assert body["previous_period"]["key"] == "2026-10"
    assert body["unit_type_label"] == "街道(乡镇)"
    first, second = body["items"]
    assert first["name"] == "建外街道"
    assert first["rank"] == 1
    assert first["counts"]["response_due"] == 2
    assert first["counts"]["response_on_time"] == 1
    assert first["rates"]["response_rate"] == 0.5
    assert first["rates"]["satisfaction_rate"] == 1.0
    # 0.30·0.5 + 0.35·1 + 0.35·1 = 0.85: below 先进类, above 治理类, no previous month
    assert first["rates"]["score"] == pytest.approx(0.85)
    assert first["rank_class"] == "rectify"
    assert first["rank_class_label"] == "整改类"
    assert first["warning"] == "yellow"
    assert second["rank"] is None
    assert second["counts"]["n"] == 0
    assert body["config"]["fairly_satisfied_weight"] == 0.8


def test_empty_period_gives_zeros(client: TestClient, world: World) -> None:
    r = client.get(
        f"{P}/rankings?period=2020-01&unit_type=district", headers=world["leader"].headers
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["counts"]["n"] for i in items} == {0}
    assert {i["rates"]["score"] for i in items} == {0.0}
    assert r.json()["total_rates"]["response_rate"] == 0.0


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("period=2026-13&unit_type=street", "考核周期"),
        ("period=yesterday&unit_type=street", "考核周期"),
        ("period=2026-11&unit_type=village", "单位类型"),
    ],
)
def test_bad_input_is_422(client: TestClient, world: World, query: str, fragment: str) -> None:
    r = client.get(f"{P}/rankings?{query}", headers=world["leader"].headers)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


def test_auth_is_required_and_residents_are_refused(client: TestClient, world: World) -> None:
    assert client.get(f"{P}/rankings?period=2026-11&unit_type=street").status_code == 401
    r = client.get(
        f"{P}/rankings?period=2026-11&unit_type=street", headers=world["resident"].headers
    )
    assert r.status_code == 403


def test_unit_detail_and_drill_down(client: TestClient, world: World) -> None:
    street = world.street_a[1]
    r = client.get(f"{P}/units/street/{street}?period=2026-11", headers=world["leader"].headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"]["rank"] == 1
    assert body["ranked_units"] == 1
    assert sum(d["counts"]["response_due"] for d in body["days"]) == 2
    link = body["drill_down"]["response_late"]
    drilled = client.get(link, headers=world["leader"].headers)
    assert drilled.status_code == 200, drilled.text
    assert drilled.json()["total"] == body["unit"]["counts"]["response_late"] == 1
    assert drilled.json()["items"][0]["status"] == "dispatched"


def test_drill_down_respects_scope(client: TestClient, world: World) -> None:
    street_a = world.street_a[1]
    url = f"{P}/units/street/{street_a}/appeals?period=2026-11&metric=satisfied"
    assert client.get(url, headers=world["street_a"].headers).status_code == 200
    assert client.get(url, headers=world["street_b"].headers).status_code == 403
    detail = client.get(
        f"{P}/units/street/{street_a}?period=2026-11", headers=world["street_b"].headers
    )
    assert detail.status_code == 200
    assert detail.json()["drill_down"] == {}
    dept = world.department[1]
    dept_url = f"{P}/units/department/{dept}/appeals?period=2026-11&metric=valid_callbacks"
    assert client.get(dept_url, headers=world["department"].headers).json()["total"] == 1
    assert client.get(dept_url, headers=world["leader"].headers).status_code == 200
    assert client.get(dept_url, headers=world["utility"].headers).status_code == 403


def test_unknown_unit_is_404_and_bad_metric_422(client: TestClient, world: World) -> None:
    h = world["leader"].headers
    assert client.get(f"{P}/units/street/999999?period=2026-11", headers=h).status_code == 404
    street = world.street_a[1]
    r = client.get(f"{P}/units/street/{street}/appeals?period=2026-11&metric=joy", headers=h)
    assert r.status_code == 422


def test_report_files(client: TestClient, world: World) -> None:
    h = world["leader"].headers
    r = client.get(f"{P}/report?period=2026-11", headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "区", "街道(乡镇)", "职能部门", "公共服务企业"]
    streets = list(wb["街道(乡镇)"].iter_rows(values_only=True))
    assert streets[0][:3] == ("名次", "单位", "综合分")
    assert streets[1][1] == "建外街道"
    r = client.get(f"{P}/report?period=2026-11&format=csv", headers=h)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["周期", "单位类型", "名次"]
    assert {row[1] for row in rows[1:]} == {"区", "街道(乡镇)", "职能部门", "公共服务企业"}
    assert client.get(f"{P}/report?period=2026-11&format=pdf", headers=h).status_code == 422
