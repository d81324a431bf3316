"""每月一题 proposals for leaders (/dashboard/monthly-topic): the page with its district picker
limited to the reader's scope (a street leader's streets), the one-page Excel and PDF exports,
设为本月一题 (the form, its refusals and the page showing the chosen candidate), and refusals
(role, scope, bad month). The rules and the service are tested in tests/unit/insight and
tests/integration/insight (test_insight_monthly_brief.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory, make_user
from tests.builders.pdf_text import page_count, text_lines
from tests.web.conftest import PASSWORD, LoginAs

from civicgrid.appeals.models import Appeal
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.roles import Role
from civicgrid.insight.models import GovernanceTask, TaskAppealLink

pytestmark = pytest.mark.postgres

NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]
A = MiniTerritory.DISTRICT_A
B = MiniTerritory.DISTRICT_B
PAGE = "/dashboard/monthly-topic"


def _noise(session: Session, world: World, now: datetime) -> list[Appeal]:
    return [
        make_appeal(
            session,
            world=world,
            now=now - timedelta(days=3 - i),
            title=title,
            content=f"{title}，已经持续一周。",
            caller_phone="13900000000" if i else "13900000009",
            status=AppealStatus.DISPATCHED,
            lead=world.street_a,
        )
        for i, title in enumerate(NOISE)
    ]


def test_the_leader_sees_the_districts_candidates_with_their_evidence(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeals = _noise(session, world, now)
    login("leader")

    r = client.get(f"{PAGE}?month=2026-11&district={A}")

    assert r.status_code == 200
    assert "每月一题候选问题 · 朝阳区 · 2026年11月" in r.text
    table = r.text[r.text.index('id="monthly-topic-candidates"') :]
    assert "候选问题（1 个）" in table
    assert "建国里社区" in table
    assert '<td data-label="诉求件数">3</td>' in table
    assert "8月 0，9月 0，10月 0" in table
    assert "建外街道（3）" in table
    assert "13900000000" not in r.text  # no personal data
    # members are linked by their tracking numbers, as staff know them
    assert f'<a href="/appeals/{appeals[0].id}">{appeals[0].number}</a>' in table
    assert f'<option value="{A}" selected>朝阳区</option>' in r.text
    assert f'<option value="{B}">海淀区</option>' in r.text
    assert f"/dashboard/monthly-topic.xlsx?month=2026-11&amp;district={A}" in r.text
    assert f"/dashboard/monthly-topic.pdf?month=2026-11&amp;district={A}" in r.text
    assert "设为本月一题" in table
    assert "2026年11月尚未确定每月一题主题" in r.text


def test_the_page_defaults_to_this_month_and_the_first_district(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    login("supervisor")

    r = client.get(PAGE)

    assert r.status_code == 200
    assert "朝阳区 · 2026年11月" in r.text


def test_the_excel_export_opens_and_has_one_row_per_problem(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    login("leader")

    r = client.get(f"{PAGE}.xlsx?month=2026-11&district={A}")

    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(BytesIO(r.content)).active
    assert sheet is not None
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "每月一题候选问题 · 朝阳区 · 2026年11月"
    assert rows[1][0] == "月份：2026年11月"
    assert str(rows[2][0]).startswith("候选问题取自 ")  # when the hot problems were mined
    assert rows[3][0] == "序号"
    assert len(rows) == 5
    assert (rows[4][0], rows[4][2], rows[4][5], rows[4][6]) == (1, 3, 1, "建外街道（3）")


def test_a_district_outside_the_scope_is_refused_and_not_offered(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    user, _ = make_user(session, role=Role.LEADER, region_code=B, now=now)
    session.commit()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200

    page = client.get(PAGE)
    assert page.status_code == 200
    assert "海淀区" in page.text
    assert f'<option value="{A}"' not in page.text
    assert '<p class="muted" id="monthly-topic-none">本月该区没有可提议的问题。</p>' in page.text
    assert '<table class="monthly-topic">' not in page.text  # no empty table on a phone
    for url in (f"{PAGE}?district={A}", f"{PAGE}.xlsx?district={A}"):
        refused = client.get(url)
        assert refused.status_code == 404
        assert "不在您的数据范围内" in refused.text


def test_other_roles_bad_months_and_streets_are_refused(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    login("street_a")
    assert client.get(f"{PAGE}?district={A}").status_code == 403
    assert client.get(f"{PAGE}.xlsx?district={A}").status_code == 403

    login("leader")
    bad = client.get(f"{PAGE}?month=2026-13&district={A}")
    assert bad.status_code == 422
    assert "月份" in bad.text
    week = client.get(f"{PAGE}?month=2026-W47&district={A}")
    assert week.status_code == 422
    community = client.get(f"{PAGE}?district={MiniTerritory.COMMUNITY_A1}")
    assert community.status_code == 404
    assert "不是您数据范围内的区或街道" in community.text


def test_the_pdf_export_is_one_page_with_the_page_s_problems(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeals = _noise(session, world, now)
    login("supervisor")

    r = client.get(f"{PAGE}.pdf?month=2026-11&district={A}")

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    assert page_count(r.content) == 1
    lines = text_lines(r.content)
    assert lines[0] == "每月一题候选问题 · 朝阳区 · 2026年11月"
    assert "诉求 3 件 · 重复来电 1 人（按号码摘要计数，不含个人信息）" in lines
    assert "承办单位：建外街道（3）" in lines
    assert any(appeals[0].number in line for line in lines)


def test_a_street_leader_sees_the_street_and_nothing_else(
    client: TestClient, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    user, _ = make_user(session, role=Role.LEADER, region_code=MiniTerritory.STREET_A, now=now)
    session.commit()
    r = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200

    page = client.get(f"{PAGE}?month=2026-11")
    assert page.status_code == 200
    assert "每月一题候选问题 · 建外街道 · 2026年11月" in page.text
    assert f'<option value="{MiniTerritory.STREET_A}" selected>建外街道</option>' in page.text
    assert f'<option value="{A}"' not in page.text
    assert "本月该街道诉求 3 件" in page.text
    assert '<td data-label="诉求件数">3</td>' in page.text
    pdf = client.get(f"{PAGE}.pdf?month=2026-11")
    assert text_lines(pdf.content)[1].startswith("街道：建外街道")
    for code in (A, B, MiniTerritory.STREET_B):
        refused = client.get(f"{PAGE}.pdf?district={code}")
        assert refused.status_code == 404
        assert "不在您的数据范围内" in refused.text


def _adopt(client: TestClient, csrf: str, **fields: str) -> Response:
    form = {"csrf_token": csrf, "month": "2026-11", "district": A, **fields}
    response: Response = client.post(f"{PAGE}/adopt", data=form, follow_redirects=False)
    return response


def test_the_leader_sets_a_candidate_as_the_month_s_topic(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    appeals = _noise(session, world, now)
    csrf = login("leader")
    page = client.get(f"{PAGE}?month=2026-11&district={A}")
    label = re.search(r'name="label" value="([^"]+)"', page.text)
    assert label is not None
    assert 'name="theme"' in page.text  # no topic yet: the first problem names it

    missing = _adopt(client, csrf, label=label.group(1), lead_department=MiniTerritory.DEPARTMENT)
    assert missing.status_code == 422
    assert "本月尚未确定主题" in missing.text

    r = _adopt(
        client,
        csrf,
        label=label.group(1),
        theme="夜间施工噪音",
        lead_department=MiniTerritory.DEPARTMENT,
    )
    assert r.status_code == 303
    assert r.headers["location"].endswith("done=adopt")
    shown = client.get(r.headers["location"])
    assert "已设为本月一题，候选问题的诉求已关联到治理任务。" in shown.text
    assert "2026年11月主题：<strong>夜间施工噪音</strong>（本区已立项 1 个问题" in shown.text
    task = session.scalars(select(GovernanceTask)).one()
    assert f"已设为本月一题</strong>（治理任务 #{task.id}，已立项）" in shown.text
    assert 'action="/dashboard/monthly-topic/adopt"' not in shown.text
    assert task.source_stats["appeals"] == 3
    linked = session.scalars(
        select(TaskAppealLink.appeal_id).where(TaskAppealLink.task_id == task.id)
    ).all()
    assert sorted(linked) == sorted(a.id for a in appeals)
    pdf = client.get(f"{PAGE}.pdf?month=2026-11&district={A}")
    assert f"已设为本月一题（治理任务 #{task.id}，已立项）" in text_lines(pdf.content)

    again = _adopt(client, csrf, label=label.group(1), lead_department=MiniTerritory.DEPARTMENT)
    assert again.status_code == 409
    assert f"已设为2026年11月的每月一题（治理任务 #{task.id}）" in again.text
    assert session.scalar(select(func.count()).select_from(GovernanceTask)) == 1


def test_supervisors_see_the_brief_but_cannot_set_the_topic(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    _noise(session, world, now)
    csrf = login("supervisor")
    page = client.get(f"{PAGE}?month=2026-11&district={A}")
    assert page.status_code == 200
    assert 'action="/dashboard/monthly-topic/adopt"' not in page.text

    r = _adopt(client, csrf, label="任意", theme="主题", lead_department=MiniTerritory.DEPARTMENT)
    assert r.status_code == 403
    assert "没有权限" in r.text
    assert session.scalar(select(func.count()).select_from(GovernanceTask)) == 0
