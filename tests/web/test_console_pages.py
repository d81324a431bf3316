"""Grid worker, dashboard and admin pages: status, key text, fragments, 422 re-renders, role
checks and query pins."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.web.conftest import HX, LoginAs, assert_max_queries

from civicgrid.appeals import queries
from civicgrid.appeals.states import AppealStatus


def _status(session: Session, world: World, appeal_id: int) -> str:
    session.expire_all()
    return queries.by_id_for(session, world.actor("admin"), appeal_id).status


# --- grid worker ------------------------------------------------------------------------------


def test_grid_tasks_list_orders_waiting_for_verification(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    waiting = make_appeal(
        session, world=world, status=AppealStatus.PENDING_VERIFICATION, now=now, grid=True
    )
    login("grid_a1")
    r = client.get("/grid/tasks")
    assert r.status_code == 200
    assert waiting.number in r.text
    assert f'action="/grid/tasks/{waiting.id}/verify"' in r.text


def test_grid_verify_confirm_closes_the_order_and_htmx_swaps_the_item(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, status=AppealStatus.PENDING_VERIFICATION, now=now, grid=True
    )
    csrf = login("grid_a1")
    r = client.post(
        f"/grid/tasks/{appeal.id}/verify", data={"fixed": "1", "csrf_token": csrf}, headers=HX
    )
    assert r.status_code == 200
    assert f'id="task-{appeal.id}"' in r.text
    assert "核查通过" in r.text
    assert "<html" not in r.text
    assert _status(session, world, appeal.id) == "closed"


def test_grid_verify_reject_without_reason_is_422(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, status=AppealStatus.PENDING_VERIFICATION, now=now, grid=True
    )
    csrf = login("grid_a1")
    r = client.post(f"/grid/tasks/{appeal.id}/verify", data={"fixed": "0", "csrf_token": csrf})
    assert r.status_code == 422
    assert "未解决情况" in r.text
    assert _status(session, world, appeal.id) == "pending_verification"


def test_patrol_report_is_recorded_in_my_grid(
    client: TestClient, login: LoginAs, session: Session, world: World
) -> None:
    csrf = login("grid_a1")
    page = client.get("/grid/report")
    assert page.status_code == 200
    assert "data-geolocate" in page.text
    r = client.post(
        "/grid/report",
        data={
            "appeal_type": "report",
            "title": "共享单车乱停",
            "content": "地铁口共享单车堆放，占用盲道。",
            "lon": "116.45",
            "lat": "39.91",
            "region_id": str(world.region_id(MiniTerritory.GRID_A1)),
            "csrf_token": csrf,
        },
        files={"photos": ("bikes.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    detail = client.get(r.headers["location"])
    assert "共享单车乱停" in detail.text
    assert "网格巡查" in detail.text


def test_patrol_report_in_another_grid_is_refused(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("grid_a1")
    r = client.post(
        "/grid/report",
        data={
            "title": "垃圾满溢",
            "content": "垃圾桶满溢。",
            "lon": "116.45",
            "lat": "39.91",
            "region_id": str(world.region_id(MiniTerritory.GRID_A2)),
            "csrf_token": csrf,
        },
        files={"photos": ("bin.png", PNG, "image/png")},
    )
    assert r.status_code == 403
    assert 'value="垃圾满溢"' in r.text


def test_patrol_report_without_photo_is_422(
    client: TestClient, login: LoginAs, world: World
) -> None:
    csrf = login("grid_a1")
    r = client.post(
        "/grid/report",
        data={
            "title": "垃圾满溢",
            "content": "垃圾桶满溢。",
            "lon": "116.45",
            "lat": "39.91",
            "region_id": str(world.region_id(MiniTerritory.GRID_A1)),
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert "须附照片" in r.text


def test_grid_pages_are_forbidden_for_other_roles(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/grid/tasks").status_code == 403
    assert client.get("/grid/report").status_code == 403


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_counts_closed_appeals_and_embeds_chart_data(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    login("leader")
    before = client.get("/dashboard")
    assert before.status_code == 200
    assert 'data-count="closed">0<' in before.text
    make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    r = client.get("/dashboard")
    assert 'data-count="received">2<' in r.text
    assert 'data-count="closed">1<' in r.text
    assert 'data-count="open">1<' in r.text
    assert "响应率" in r.text
    assert "满意率" in r.text
    assert "建外街道" in r.text  # a street in the ranking table
    start = r.text.index('id="dashboard-data">') + len('id="dashboard-data">')
    data = json.loads(r.text[start : r.text.index("</script>", start)])
    assert sum(data["trend"]["received"]) == 2
    assert sum(data["trend"]["closed"]) == 1
    assert data["grids"].startswith("/dashboard/grids.json?period=")


def test_dashboard_with_a_bad_period_is_422(client: TestClient, login: LoginAs) -> None:
    login("leader")
    assert client.get("/dashboard?period=2026-13").status_code == 422


def test_dashboard_is_forbidden_for_operators(client: TestClient, login: LoginAs) -> None:
    login("operator")
    assert client.get("/dashboard").status_code == 403


def test_dashboard_query_count_does_not_grow_with_appeals(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    for _ in range(5):
        make_appeal(session, world=world, status=AppealStatus.DISPATCHED, now=now)
    login("leader")
    with assert_max_queries(connection, 15):
        r = client.get("/dashboard")
    assert r.status_code == 200


def test_grid_outlines_need_a_login(client: TestClient, login: LoginAs) -> None:
    assert client.get("/maps/grids.geojson", follow_redirects=False).status_code == 303
    login("resident")
    r = client.get("/maps/grids.geojson")
    assert r.status_code == 200
    assert r.json()["type"] == "FeatureCollection"


# --- admin ------------------------------------------------------------------------------------


def test_admin_pages_render_for_the_admin(client: TestClient, login: LoginAs) -> None:
    login("admin")
    assert "系统管理" in client.get("/admin").text
    assert "区划与网格导入" in client.get("/admin/territory").text
    users = client.get("/admin/users")
    assert users.status_code == 200
    assert "账号列表" in users.text
    catalogue = client.get("/admin/catalogue")
    assert catalogue.status_code == 200
    assert "派单目录" in catalogue.text


def test_admin_pages_are_forbidden_for_others(client: TestClient, login: LoginAs) -> None:
    login("leader")
    for path in ("/admin", "/admin/territory", "/admin/users", "/admin/catalogue"):
        assert client.get(path).status_code == 403, path


def test_territory_import_lists_problems_per_feature(client: TestClient, login: LoginAs) -> None:
    csrf = login("admin")
    bad = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "12", "name": "", "level": "city"},
             "geometry": None},
        ],
    }  # fmt: skip
    r = client.post(
        "/admin/territory",
        data={"csrf_token": csrf},
        files={"geojson": ("bad.geojson", json.dumps(bad).encode(), "application/geo+json")},
    )
    assert r.status_code == 422
    assert "features[0]" in r.text


def test_territory_import_of_non_json_is_422(client: TestClient, login: LoginAs) -> None:
    csrf = login("admin")
    r = client.post(
        "/admin/territory",
        data={"csrf_token": csrf},
        files={"geojson": ("x.geojson", b"not json", "application/json")},
    )
    assert r.status_code == 422
    assert "不是有效的 GeoJSON" in r.text


def test_admin_creates_a_user_with_a_post(client: TestClient, login: LoginAs, world: World) -> None:
    csrf = login("admin")
    street = world.region_id(MiniTerritory.STREET_A)
    r = client.post(
        "/admin/users",
        data={
            "username": "new_handler",
            "display_name": "王五",
            "password": "Str0ng!Passw0rd",
            "role": "street_handler",
            "anchor": f"region:{street}",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "账号已创建" in page.text
    assert "new_handler" in page.text
    assert "街乡承办人 · 建外街道" in page.text


def test_admin_create_user_with_a_weak_password_is_422_and_keeps_the_input(
    client: TestClient, login: LoginAs
) -> None:
    csrf = login("admin")
    r = client.post(
        "/admin/users",
        data={
            "username": "weak_one",
            "display_name": "赵六",
            "password": "123",
            "role": "operator",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert 'value="weak_one"' in r.text


def test_admin_user_list_query_count_is_pinned(
    client: TestClient, login: LoginAs, connection: Connection
) -> None:
    login("admin")
    with assert_max_queries(connection, 11):
        r = client.get("/admin/users")
    assert r.status_code == 200
