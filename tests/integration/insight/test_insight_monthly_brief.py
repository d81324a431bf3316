"""每月一题 proposals over stored appeals: the district-month's groups ranked by appeal count and
repeat callers, with their places, trend over the three previous months, repeat callers and
lead units; limited to the reader's scope. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory
from tests.integration.insight.conftest import file_appeal

from civicgrid.errors import NotFound
from civicgrid.insight import monthly_brief_service as briefs
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


def _brief(session: Session, world: World, district: str) -> briefs.MonthlyBrief:
    return briefs.monthly_brief_for(
        session, actor=world.actor("leader"), period=NOV, district_code=district
    )


def test_the_brief_ranks_the_districts_problems_with_their_evidence(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)

    brief = _brief(session, world, MiniTerritory.DISTRICT_A)

    assert brief.district.name == "朝阳区"
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

    brief = _brief(session, world, MiniTerritory.DISTRICT_B)

    assert brief.appeals == 1
    assert brief.candidates == []  # one appeal is no group


def test_a_district_outside_the_scope_or_a_street_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    outsider = world.actor("district_b_operator")

    with pytest.raises(NotFound):
        briefs.monthly_brief_for(
            session, actor=outsider, period=NOV, district_code=MiniTerritory.DISTRICT_A
        )
    with pytest.raises(NotFound):
        briefs.monthly_brief_for(
            session, actor=world.actor("leader"), period=NOV, district_code=MiniTerritory.STREET_A
        )
    assert [d.code for d in briefs.districts_for(session, outsider)] == [MiniTerritory.DISTRICT_B]
    assert [d.code for d in briefs.districts_for(session, world.actor("leader"))] == [
        MiniTerritory.DISTRICT_A,
        MiniTerritory.DISTRICT_B,
    ]


def test_the_excel_brief_has_a_title_the_month_the_district_and_one_row_per_problem(
    session: Session, world: World, now: datetime
) -> None:
    build(session, world, now)
    brief = _brief(session, world, MiniTerritory.DISTRICT_A)

    sheet = load_workbook(BytesIO(briefs.to_xlsx(brief, now))).active
    assert sheet is not None
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]

    assert str(rows[0][0]).startswith("每月一题候选问题 · 朝阳区")
    assert (rows[1][0], rows[1][2]) == ("月份：2026年11月", "区：朝阳区")
    assert rows[2][:3] == ("序号", "问题", "诉求件数")
    assert len(rows) == 5
    assert (rows[3][0], rows[3][2], rows[3][5]) == (1, 4, 1)
    assert rows[3][4] == "8月 1，9月 2，10月 0"
    assert (rows[4][0], rows[4][2], rows[4][6]) == (2, 3, "未派单")
    assert sheet.page_setup.orientation == "landscape"
