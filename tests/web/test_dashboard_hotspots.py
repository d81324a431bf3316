"""The hot problems on the leader's dashboard: read from the ``insight.hotspots`` job's
snapshot (never mined on the page), explained and linked to sample appeals. Cutting the
snapshot to a reader's scope is tested in tests/integration/insight/test_insight_snapshots.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.web.conftest import LoginAs, assert_max_queries

from civicgrid.insight import service as insight_service

NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]


def _noise(session: Session, world: World, now: datetime) -> list[int]:
    return [
        make_appeal(
            session,
            world=world,
            now=now - timedelta(days=3 - i),
            title=title,
            content=f"{title}，已经持续一周。",
            caller_phone=f"1390000000{i}",
        ).id
        for i, title in enumerate(NOISE)
    ]


def _section(html: str) -> str:
    start = html.index('id="hot-problems"')
    return html[start : html.index("</section>", start)]


def test_the_dashboard_says_so_until_the_job_has_run(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    login("leader")

    section = _section(client.get("/dashboard").text)

    assert "热点问题" in section
    assert "暂无计算结果" in section
    assert "/appeals/" not in section


def test_the_dashboard_lists_the_snapshot_hot_problems_with_links_to_samples(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    ids = _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")

    r = client.get("/dashboard")

    assert r.status_code == 200
    section = _section(r.text)
    assert "计算于" in section
    assert "噪音" in section  # a key term
    assert "建国里社区" in section  # the place
    assert "<td>3</td>" in section  # appeals in the group
    for appeal_id in ids:
        assert f'href="/appeals/{appeal_id}"' in section
    assert 'href="/api/v1/insight/hotspots?period=2026-11"' in section


def test_a_week_period_has_no_hot_problems_on_the_dashboard(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")

    section = _section(client.get("/dashboard?period=2026-W47").text)

    assert "暂无计算结果" in section


def test_the_hot_problems_add_few_queries_to_the_dashboard(
    client: TestClient,
    login: LoginAs,
    session: Session,
    world: World,
    now: datetime,
    connection: Connection,
) -> None:
    _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")
    with assert_max_queries(connection, 18):
        r = client.get("/dashboard")
    assert "/appeals/" in _section(r.text)


def test_each_hot_problem_label_links_to_the_list_of_its_appeals(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    ids = _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")

    section = _section(client.get("/dashboard").text)
    assert 'href="/dashboard/hot-problems/1?period=2026-11"' in section
    r = client.get("/dashboard/hot-problems/1?period=2026-11")

    assert r.status_code == 200
    assert "热点问题第 1 名：建国里社区：" in r.text  # the label: place, then its terms
    listing = r.text[r.text.index('id="hot-problem-appeals"') :]
    assert "本问题的诉求（3 件）" in listing
    for appeal_id in ids:
        assert f'href="/appeals/{appeal_id}"' in listing
    for title in NOISE:
        assert title in listing


def test_a_hot_problem_that_is_not_there_is_a_404_in_chinese(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("leader")

    missing = client.get("/dashboard/hot-problems/9?period=2026-11")
    week = client.get("/dashboard/hot-problems/1?period=2026-W47")

    assert missing.status_code == 404
    assert "没有第 9 个热点问题" in missing.text
    assert week.status_code == 404


def test_the_hot_problem_list_is_for_dashboard_roles_only(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    login("resident")

    assert client.get("/dashboard/hot-problems/1?period=2026-11").status_code == 403
