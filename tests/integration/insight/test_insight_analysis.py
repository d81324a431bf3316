"""Hot problems, trends, forecast and topic candidates over stored appeals, within the actor's
data scope, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.integration.insight.conftest import file_appeal

from civicgrid.appeals.states import AppealStatus
from civicgrid.errors import NotFound
from civicgrid.insight import analysis
from civicgrid.insight.periods import parse_period

pytestmark = pytest.mark.usefixtures("world")

NOV = parse_period("2026-11")

NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]


def _noise_appeals(session: Session, world: World, now: datetime) -> list[str]:
    numbers = []
    for i, title in enumerate(NOISE):
        appeal = make_appeal(
            session,
            world=world,
            now=now - timedelta(days=3 - i),
            title=title,
            content=f"{title}，已经持续一周。",
            caller_phone=f"1390000000{i}",
        )
        numbers.append(appeal.number)
    make_appeal(
        session,
        world=world,
        now=now - timedelta(days=2),
        title="社保卡补办流程咨询",
        content="社保卡丢失后如何补办，需要带什么材料。",
    )
    make_appeal(
        session,
        world=world,
        now=now - timedelta(days=1),
        title="公园健身器材损坏",
        content="公园东门的健身器材坏了，存在安全隐患。",
    )
    return numbers


def test_hotspots_group_similar_appeals_of_the_period(
    session: Session, world: World, now: datetime
) -> None:
    numbers = _noise_appeals(session, world, now)

    report = analysis.hotspots_for(session, actor=world.actor("leader"), period=NOV)

    assert report.appeals == 5
    (hot,) = report.hotspots
    assert set(hot.members) == set(numbers)
    assert hot.callers == 3
    assert "噪音" in hot.terms or "施工" in hot.terms
    assert hot.areas == ("朝阳区",)
    assert "建国里社区" in hot.places


def test_hotspots_respect_scope_region_and_empty_periods(
    session: Session, world: World, now: datetime
) -> None:
    _noise_appeals(session, world, now)

    other_street = analysis.hotspots_for(session, actor=world.actor("street_b"), period=NOV)
    narrowed = analysis.hotspots_for(
        session, actor=world.actor("leader"), period=NOV, region_code=MiniTerritory.STREET_B
    )
    empty = analysis.hotspots_for(
        session, actor=world.actor("leader"), period=parse_period("2026-01")
    )

    assert (other_street.appeals, other_street.hotspots) == (0, [])
    assert (narrowed.appeals, narrowed.hotspots) == (0, [])
    assert narrowed.region_name == "中关村街道"
    assert (empty.appeals, empty.hotspots) == (0, [])


def test_a_region_outside_the_scope_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFound):
        analysis.hotspots_for(
            session,
            actor=world.actor("street_b"),
            period=NOV,
            region_code=MiniTerritory.STREET_A,
        )


def test_the_same_complaint_in_two_districts_gives_two_hot_problems(
    session: Session, world: World, now: datetime
) -> None:
    for i, title in enumerate(NOISE):
        file_appeal(session, world, at=now - timedelta(days=2, hours=i), title=title)
        file_appeal(
            session,
            world,
            at=now - timedelta(days=1, hours=i),
            title=title,
            region_code=MiniTerritory.STREET_B,
        )

    report = analysis.hotspots_for(session, actor=world.actor("leader"), period=NOV)

    assert sorted(h.areas for h in report.hotspots) == [("朝阳区",), ("海淀区",)]
    assert all(h.size == 3 for h in report.hotspots)


def test_weekly_trends_flag_a_spike_per_category(
    session: Session, world: World, now: datetime
) -> None:
    last_week = now - timedelta(days=7)
    for week in range(2, 10):
        file_appeal(
            session, world, at=now - timedelta(days=7 * week), title="暖气不热", category="供暖"
        )
    for i in range(8):
        file_appeal(
            session, world, at=last_week + timedelta(hours=i), title="暖气不热", category="供暖"
        )
    file_appeal(session, world, at=last_week, title="井盖缺失", category="市政设施")

    report = analysis.trends_for(session, actor=world.actor("leader"), now=now, weeks=12)

    by_key = {s.key: s for s in report.series}
    assert set(by_key) == {"全部", "供暖", "市政设施"}
    heating = by_key["供暖"]
    assert heating.total == 16
    assert [d for d, _ in heating.spikes] == [report.last_week]
    assert heating.points[-1].count == 8
    assert by_key["全部"].points[-1].count == 9
    assert not by_key["市政设施"].spikes


def test_trends_by_region_use_district_names(session: Session, world: World, now: datetime) -> None:
    file_appeal(session, world, at=now - timedelta(days=8), title="停水")
    file_appeal(
        session, world, at=now - timedelta(days=8), title="停水", region_code=MiniTerritory.STREET_B
    )

    report = analysis.trends_for(session, actor=world.actor("leader"), now=now, by="region")

    assert {s.key for s in report.series} == {"全部", "朝阳区", "海淀区"}


def test_forecast_uses_complete_months_and_reports_a_backtest(
    session: Session, world: World, now: datetime
) -> None:
    months = {8: 3, 9: 6, 10: 9}
    for month, n in months.items():
        for i in range(n):
            at = datetime(2026, month, 10, 10, tzinfo=now.tzinfo) + timedelta(hours=i)
            file_appeal(session, world, at=at, title="暖气不热", category="供暖")
    file_appeal(session, world, at=now - timedelta(hours=1), title="暖气不热", category="供暖")

    report = analysis.forecast_for(
        session, actor=world.actor("leader"), now=now, months=6, backtest_months=3
    )

    assert report.target == (2026, 11)
    heating = next(s for s in report.series if s.key == "供暖")
    assert heating.history == [0, 0, 0, 3, 6, 9]
    assert heating.method == "recent_mean"
    assert heating.forecast == pytest.approx(6.0)
    assert [p[1] for p in heating.backtest.points] == [3.0, 6.0, 9.0]
    assert report.mape is not None


def test_topic_candidates_are_frequent_problems_handled_by_several_units(
    session: Session, world: World, now: datetime
) -> None:
    for i in range(6):
        file_appeal(
            session,
            world,
            at=now - timedelta(days=i + 1),
            title="暖气不热",
            category="供暖",
            lead=world.department if i % 2 else world.street_a,
        )
    for i in range(6):
        file_appeal(
            session,
            world,
            at=now - timedelta(days=i + 1),
            title="占道经营",
            category="占道经营",
            lead=world.street_a,
        )

    found = analysis.topic_candidates_for(session, actor=world.actor("leader"), period=NOV)

    assert [c.label for c in found] == ["供暖"]
    assert set(found[0].units) == {"朝阳区城管执法局", "建外街道"}
    assert found[0].count == 6


def test_uncategorised_appeals_become_candidates_through_hot_problems(
    session: Session, world: World, now: datetime
) -> None:
    titles = [*NOISE, "建国里工地夜间施工噪音严重扰民", "建国里工地施工噪音夜间扰民"]
    for i, title in enumerate(titles):
        file_appeal(
            session,
            world,
            at=now - timedelta(days=i + 1),
            title=title,
            lead=world.department if i % 2 else world.street_a,
            phone=f"1370000000{i}",
        )

    (candidate,) = analysis.topic_candidates_for(session, actor=world.actor("leader"), period=NOV)

    assert candidate.label.startswith("热点：")
    assert candidate.count == 5


def test_closed_appeals_count_like_open_ones(session: Session, world: World, now: datetime) -> None:
    for i, title in enumerate(NOISE):
        make_appeal(
            session,
            world=world,
            now=now - timedelta(days=i + 1),
            status=AppealStatus.CLOSED,
            title=title,
            caller_phone=f"1360000000{i}",
        )

    report = analysis.hotspots_for(session, actor=world.actor("supervisor"), period=NOV)

    assert [h.size for h in report.hotspots] == [3]
