"""每月一题 proposals over stored appeals: the district-month's groups ranked by appeal count and
repeat callers, with their places, trend over the three previous months, repeat callers and
lead units; limited to the reader's scope. On SQLite and PostgreSQL."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory, make_user
from tests.builders.pdf_text import page_count, text_lines
from tests.integration.insight.conftest import file_appeal

from civicgrid.appeals import service as appeals_service
from civicgrid.audit.models import AuditEntry
from civicgrid.auth import service as auth_service
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.insight import monthly_brief_pdf, queries, snapshots
from civicgrid.insight import monthly_brief_service as briefs
from civicgrid.insight import service as insight_service
from civicgrid.insight.models import GovernanceTask, TaskAppealLink
from civicgrid.insight.periods import parse_period

pytestmark = [pytest.mark.usefixtures("world"), pytest.mark.postgres]

NOV = parse_period("2026-11")
NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
    "建国里工地夜里施工噪音扰民严重",
]
LAMPS = [
    "光华路东侧路灯不亮晚上很黑",
    "光华路路灯坏了晚上不亮",
    "光华路东侧路灯一直不亮",
]


def build(session: Session, world: World, now: datetime) -> None:
    """Four noise appeals (one caller twice; three led by the department, one by the street),
    three lamp appeals with three callers, earlier noise appeals in August and September, and
    a noise appeal in the other district."""
    for i, title in enumerate(NOISE):
        file_appeal(
            session,
            world,
            at=now - timedelta(days=6 - i),
            title=title,
            phone="13900000001" if i < 2 else f"1390000001{i}",
            lead=world.department if i < 3 else world.street_a,
        )
    for i, title in enumerate(LAMPS):
        file_appeal(
            session,
            world,
            at=now - timedelta(days=5 - i),
            title=title,
            region_code=MiniTerritory.COMMUNITY_A2,
            phone=f"1370000000{i}",
        )
    for at, title in [
        (datetime(2026, 8, 12, 10, tzinfo=now.tzinfo), "建国里工地夜间施工噪音扰民"),
        (datetime(2026, 9, 3, 10, tzinfo=now.tzinfo), "建国里工地夜间施工噪音很大"),
        (datetime(2026, 9, 20, 10, tzinfo=now.tzinfo), "建国里附近施工噪音扰民"),
        (datetime(2026, 9, 21, 10, tzinfo=now.tzinfo), "建国里路面坑洼"),  # another problem
        (datetime(2026, 7, 21, 10, tzinfo=now.tzinfo), "建国里工地夜间施工噪音"),  # too early
    ]:
        file_appeal(session, world, at=at, title=title)
    file_appeal(
        session,
        world,
        at=now - timedelta(days=2),
        title="中关村工地夜间施工噪音扰民",
        region_code=MiniTerritory.STREET_B,
    )


def _brief(session: Session, world: World, district: str, now: datetime) -> briefs.MonthlyBrief:
    return briefs.monthly_brief_for(
        session, actor=world.actor("leader"), period=NOV, area_code=district, now=now
    )


def test_the_brief_ranks_the_districts_problems_with_their_evidence(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)

    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)

    assert brief.area.name == "朝阳区"
    assert brief.appeals == 7
    assert [p.key for p in brief.trend_months] == ["2026-08", "2026-09", "2026-10"]
    assert len(brief.candidates) == 2
    noise, lamps = brief.candidates
    assert (noise.rank, noise.appeals, noise.repeat_callers) == (1, 4, 1)
    assert "噪音" in noise.terms
    assert "建国里社区" in noise.places
    assert noise.trend == (1, 2, 0)
    street = world.territory.region(MiniTerritory.STREET_A).name
    assert noise.units[0][1] == 3
    assert noise.units[1] == (street, 1)
    assert (lamps.rank, lamps.appeals, lamps.repeat_callers, lamps.units) == (2, 3, 0, ())
    assert lamps.trend == (0, 0, 0)


def test_the_other_district_has_its_own_problems(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)

    brief = _brief(session, world, MiniTerritory.DISTRICT_B, now)

    assert brief.appeals == 1
    assert brief.candidates == []  # one appeal is no group


def test_a_district_outside_the_scope_or_a_community_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    outsider = world.actor("district_b_operator")

    with pytest.raises(NotFound):
        briefs.monthly_brief_for(
            session, actor=outsider, period=NOV, area_code=MiniTerritory.DISTRICT_A, now=now
        )
    with pytest.raises(NotFound, match="不是您数据范围内的区或街道"):
        briefs.monthly_brief_for(
            session,
            actor=world.actor("leader"),
            period=NOV,
            area_code=MiniTerritory.COMMUNITY_A1,
            now=now,
        )
    assert [a.code for a in briefs.areas_for(session, outsider)] == [MiniTerritory.DISTRICT_B]
    assert [a.code for a in briefs.areas_for(session, world.actor("leader"))] == [
        MiniTerritory.DISTRICT_A,
        MiniTerritory.DISTRICT_B,
    ]


def test_a_street_leader_gets_the_brief_of_the_street_only(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    user, _ = make_user(session, role=Role.LEADER, region_code=MiniTerritory.STREET_A, now=now)
    session.flush()
    street_leader = auth_service.actor_for_user(session, user.id)

    areas = briefs.areas_for(session, street_leader)
    assert [(a.code, a.level) for a in areas] == [(MiniTerritory.STREET_A, "street")]
    brief = briefs.monthly_brief_for(
        session, actor=street_leader, period=NOV, area_code=MiniTerritory.STREET_A, now=now
    )
    assert (brief.area.name, brief.area.level) == ("建外街道", "street")
    assert brief.appeals == 7  # the district's appeals all lie in this street
    assert [c.appeals for c in brief.candidates] == [4, 3]
    assert brief.candidates[0].trend == (1, 2, 0)
    for code in (MiniTerritory.DISTRICT_A, MiniTerritory.STREET_B, MiniTerritory.DISTRICT_B):
        with pytest.raises(NotFound):
            briefs.monthly_brief_for(
                session, actor=street_leader, period=NOV, area_code=code, now=now
            )


def test_the_excel_brief_has_a_title_the_month_the_district_and_one_row_per_problem(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)

    sheet = load_workbook(BytesIO(briefs.to_xlsx(brief, now))).active
    assert sheet is not None
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]

    assert str(rows[0][0]).startswith("每月一题候选问题 · 朝阳区")
    assert (rows[1][0], rows[1][2]) == ("月份：2026年11月", "区：朝阳区")
    assert str(rows[2][0]).startswith(f"候选问题取自 {now:%Y-%m-%d} ")  # the snapshot's time
    assert rows[3][:3] == ("序号", "问题", "诉求件数")
    assert len(rows) == 6
    assert (rows[4][0], rows[4][2], rows[4][5]) == (1, 4, 1)
    assert rows[4][4] == "8月 1，9月 2，10月 0"
    assert (rows[5][0], rows[5][2], rows[5][6]) == (2, 3, "未派单")
    assert sheet.page_setup.orientation == "landscape"


# --- 设为本月一题: adopting a candidate through the governance service ------------------------


def _audits(session: Session, action: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )
        or 0
    )


def test_a_leader_adopts_a_candidate_with_its_evidence_and_appeals(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    leader = world.actor("leader")
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    noise = brief.candidates[0]
    assert briefs.month_topic_for(session, brief) == briefs.MonthTopic("", 0, {})

    task = briefs.adopt_candidate(
        session,
        brief=brief,
        label=noise.label,
        theme="夜间施工噪音治理",
        lead_department_code=MiniTerritory.DEPARTMENT,
        actor=leader,
        now=now,
    )

    assert (task.topic.year, task.topic.month, task.topic.theme) == (2026, 11, "夜间施工噪音治理")
    assert task.title == noise.label
    assert task.region_path == world.territory.region(MiniTerritory.DISTRICT_A).path
    stats = task.source_stats
    assert (stats["source"], stats["period"], stats["area_code"]) == (
        "monthly_brief",
        "2026-11",
        MiniTerritory.DISTRICT_A,
    )
    assert (stats["appeals"], stats["repeat_callers"], stats["rank"]) == (4, 1, 1)
    assert "建国里社区" in stats["places"]
    assert [t["appeals"] for t in stats["trend"]] == [1, 2, 0]
    assert sorted(stats["appeal_numbers"]) == sorted(noise.member_numbers)
    assert "13900000001" not in str(stats)  # no caller in the evidence
    assert sorted(queries.linked_appeal_ids(session, task.id)) == sorted(noise.member_ids)
    assert _audits(session, "insight.task.adopt") == 1
    assert _audits(session, "insight.task.link") == 1

    topic = briefs.month_topic_for(session, _brief(session, world, MiniTerritory.DISTRICT_A, now))
    assert topic.theme == "夜间施工噪音治理"
    assert topic.active_tasks == 1
    assert list(topic.adopted) == [noise.label]
    assert topic.adopted[noise.label].task_id == task.id
    assert topic.adopted[noise.label].status == "已立项"


def test_adopting_the_same_candidate_again_is_refused_and_changes_nothing(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    noise, lamps = brief.candidates
    adopt = functools.partial(
        briefs.adopt_candidate,
        session,
        brief=brief,
        theme="",
        lead_department_code=MiniTerritory.DEPARTMENT,
        actor=world.actor("leader"),
        now=now,
    )
    with pytest.raises(Invalid, match="请填写本月主题"):
        adopt(label=noise.label)
    first = adopt(label=noise.label, theme="城市管理")

    with pytest.raises(Conflict, match=f"已设为2026年11月的每月一题（治理任务 #{first.id}）"):
        adopt(label=noise.label)
    with pytest.raises(Conflict, match="已不在本月候选之列"):
        adopt(label="不存在的问题")
    with pytest.raises(Forbidden):
        briefs.adopt_candidate(
            session,
            brief=brief,
            label=lamps.label,
            theme="",
            lead_department_code=MiniTerritory.DEPARTMENT,
            actor=world.actor("supervisor"),
            now=now,
        )
    with pytest.raises(Invalid, match="牵头部门"):
        adopt(label=lamps.label, lead_department_code="NOPE")
    assert session.scalar(select(func.count()).select_from(GovernanceTask)) == 1
    assert _audits(session, "insight.task.adopt") == 1

    second = adopt(label=lamps.label)  # the month's theme is kept
    assert second.topic_id == first.topic_id
    assert briefs.month_topic_for(session, brief).active_tasks == 2


def test_a_full_month_refuses_a_fourth_problem(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    leader = world.actor("leader")
    for title in ("一", "二", "三"):
        insight_service.adopt_task(
            session,
            data=insight_service.NewTask(
                year=2026,
                month=11,
                theme="城市管理",
                title=f"问题{title}",
                lead_department_code=MiniTerritory.DEPARTMENT,
                region_code=MiniTerritory.STREET_A,  # the street's district: 朝阳区
                district_topic=True,
            ),
            actor=leader,
            now=now,
        )
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    assert briefs.month_topic_for(session, brief).full

    with pytest.raises(Conflict, match="每月最多 3 个"):
        briefs.adopt_candidate(
            session,
            brief=brief,
            label=brief.candidates[0].label,
            theme="",
            lead_department_code=MiniTerritory.DEPARTMENT,
            actor=leader,
            now=now,
        )
    assert session.scalar(select(func.count()).select_from(TaskAppealLink)) == 0


def test_the_pdf_brief_is_one_page_with_each_candidates_evidence(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    noise = brief.candidates[0]
    adopted = {noise.label: briefs.Adopted(7, "已立项", "城市管理")}

    pdf = monthly_brief_pdf.to_pdf(brief, now, adopted, "城市管理")

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == 1
    lines = text_lines(pdf)
    assert lines[0] == "每月一题候选问题 · 朝阳区 · 2026年11月"
    assert "区：朝阳区　月份：2026年11月　本月诉求 7 件　候选问题 2 个" in lines
    assert "本月主题：城市管理" in lines
    assert f"1. {noise.label}" in lines
    assert f"2. {brief.candidates[1].label}" in lines
    assert "诉求 4 件 · 重复来电 1 人（按号码摘要计数，不含个人信息）" in lines
    assert "近三月趋势：8月 1，9月 2，10月 0" in lines
    assert any(line.startswith("涉及地点：") and "建国里社区" in line for line in lines)
    assert "承办单位：朝阳区城管执法局（3）、建外街道（1）" in lines
    assert "承办单位：未派单" in lines
    assert any(line.startswith("诉求编号：") and noise.member_numbers[0] in line for line in lines)
    assert "已设为本月一题（治理任务 #7，已立项）" in lines
    assert lines[-1].startswith("生成于 2026-11-")
    assert not any("1390000" in line for line in lines)  # no caller's number


# --- served from the hot-problem snapshot ----------------------------------------------------


def test_the_brief_is_mined_once_and_then_read_from_the_district_snapshot(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    first = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    district = world.territory.region(MiniTerritory.DISTRICT_A).path
    stored = queries.find_snapshot(session, "2026-11", district)
    assert stored is not None
    assert (stored.computed_at, first.computed_at) == (now, now)

    # a new lamp appeal and a dispatch after the snapshot: the groups stay those mined, the
    # units are read now
    file_appeal(session, world, at=now, title=LAMPS[0], region_code=MiniTerritory.COMMUNITY_A2)
    lamp_id = first.candidates[1].member_ids[0]
    appeals_service.dispatch(
        session,
        appeal_id=lamp_id,
        lead=world.department,
        actor=world.actor("dispatcher"),
        now=now,
    )
    later = _brief(session, world, MiniTerritory.DISTRICT_A, now + timedelta(hours=1))
    assert later.computed_at == now
    assert [c.appeals for c in later.candidates] == [4, 3]
    assert later.candidates[1].units[0][1] == 1
    assert later.appeals == 8  # the month's count is read now

    # past the snapshot's freshness the current month is mined again and stored
    stale = now + snapshots.FRESH_FOR + timedelta(minutes=1)
    again = _brief(session, world, MiniTerritory.DISTRICT_A, stale)
    assert again.computed_at == stale
    assert [c.appeals for c in again.candidates] == [4, 4]
    assert queries.find_snapshot(session, "2026-11", district).computed_at == stale  # type: ignore[union-attr]


def test_a_closed_months_snapshot_keeps_serving_and_the_jobs_snapshot_is_used(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)  # the job: October and November
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now + timedelta(minutes=5))
    assert brief.computed_at == now
    assert [c.appeals for c in brief.candidates] == [4, 3]

    september = parse_period("2026-09")
    leader = world.actor("leader")
    taken = briefs.monthly_brief_for(
        session, actor=leader, period=september, area_code=MiniTerritory.DISTRICT_A, now=now
    )
    months_later = now + timedelta(days=40)
    read = briefs.monthly_brief_for(
        session,
        actor=leader,
        period=september,
        area_code=MiniTerritory.DISTRICT_A,
        now=months_later,
    )
    assert taken.computed_at == read.computed_at == now
    insight_service.refresh_hotspot_snapshots(session, now=months_later)  # keeps September's
    district = world.territory.region(MiniTerritory.DISTRICT_A).path
    assert queries.find_snapshot(session, "2026-09", district) is not None


def test_a_snapshot_stored_before_the_brief_fields_is_mined_again(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    insight_service.refresh_hotspot_snapshots(session, now=now)
    district = world.territory.region(MiniTerritory.DISTRICT_A).path
    stored = queries.find_snapshot(session, "2026-11", district)
    assert stored is not None
    stored.hotspots = [
        {k: v for k, v in d.items() if k not in ("place_keys", "repeat_callers")}
        for d in stored.hotspots
    ]
    session.commit()

    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now + timedelta(minutes=1))

    assert brief.computed_at == now + timedelta(minutes=1)
    assert brief.candidates[0].trend == (1, 2, 0)


# --- each district has its own topic ---------------------------------------------------------


def test_districts_topics_do_not_clash_and_the_city_wide_topic_stays(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    leader = world.actor("leader")
    for code, title, theme in (
        (MiniTerritory.STREET_B, "中关村施工噪音", "施工噪音"),
        (None, "全市问题", "全市主题"),
    ):
        insight_service.adopt_task(
            session,
            data=insight_service.NewTask(
                year=2026,
                month=11,
                theme=theme,
                title=title,
                lead_department_code=MiniTerritory.DEPARTMENT,
                region_code=code,
                district_topic=code is not None,
            ),
            actor=leader,
            now=now,
        )
    brief = _brief(session, world, MiniTerritory.DISTRICT_A, now)
    assert briefs.month_topic_for(session, brief) == briefs.MonthTopic("", 0, {})

    task = briefs.adopt_candidate(
        session,
        brief=brief,
        label=brief.candidates[0].label,
        theme="路灯与噪音",  # another theme than district B's and the city's
        lead_department_code=MiniTerritory.DEPARTMENT,
        actor=leader,
        now=now,
    )

    district_a = world.territory.region(MiniTerritory.DISTRICT_A).path
    district_b = world.territory.region(MiniTerritory.DISTRICT_B).path
    assert (task.topic.region_path, task.topic.theme) == (district_a, "路灯与噪音")
    themes = {
        path: queries.find_topic(session, 2026, 11, path) for path in ("", district_a, district_b)
    }
    assert {p: (t.theme, len(t.tasks)) for p, t in themes.items() if t is not None} == {
        "": ("全市主题", 1),
        district_a: ("路灯与噪音", 1),
        district_b: ("施工噪音", 1),
    }
    assert briefs.month_topic_for(session, brief).theme == "路灯与噪音"
    other = _brief(session, world, MiniTerritory.DISTRICT_B, now)
    assert briefs.month_topic_for(session, other).theme == "施工噪音"
    with pytest.raises(Conflict, match="本区2026年11月的主题已定为“施工噪音”"):
        insight_service.adopt_task(
            session,
            data=insight_service.NewTask(
                year=2026,
                month=11,
                theme="别的主题",
                title="又一个问题",
                lead_department_code=MiniTerritory.DEPARTMENT,
                region_code=MiniTerritory.DISTRICT_B,
                district_topic=True,
            ),
            actor=leader,
            now=now,
        )
    with pytest.raises(Invalid, match="区级每月一题需要指定区域"):
        insight_service.adopt_task(
            session,
            data=insight_service.NewTask(
                year=2026,
                month=11,
                theme="",
                title="无区域",
                lead_department_code=MiniTerritory.DEPARTMENT,
                district_topic=True,
            ),
            actor=leader,
            now=now,
        )
