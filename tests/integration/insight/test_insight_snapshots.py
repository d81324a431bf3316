"""The hot-problem snapshots kept by the ``insight.hotspots`` job: what the refresh stores,
that readers get the stored groups cut to their scope while fresh, and nothing when stale."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World
from tests.builders.auth import MiniTerritory
from tests.integration.insight.conftest import file_appeal

from civicgrid.errors import NotFound
from civicgrid.insight import analysis, jobs, service, snapshots
from civicgrid.insight.models import HotspotSnapshot
from civicgrid.insight.periods import parse_period
from civicgrid.jobs.registry import default_jobs
from civicgrid.territory import queries as territory_queries

pytestmark = pytest.mark.usefixtures("world")

NOV = parse_period("2026-11")
NOISE = [
    "建国里小区旁工地夜间施工噪音扰民",
    "建国里工地夜间施工噪音太大睡不着",
    "投诉建国里附近工地夜间施工噪音",
]
LIFT = [
    "中关村小区3号楼电梯经常故障困人",
    "中关村小区3号楼电梯又坏了困人",
    "中关村小区3号楼电梯故障多次困人",
]


def _two_districts(session: Session, world: World, now: datetime) -> dict[str, list[str]]:
    """Three noise appeals in district A (community A1) and three lift appeals in district B."""
    numbers: dict[str, list[str]] = {"a": [], "b": []}
    for key, titles, code in (
        ("a", NOISE, MiniTerritory.COMMUNITY_A1),
        ("b", LIFT, MiniTerritory.STREET_B),
    ):
        for i, title in enumerate(titles):
            appeal = file_appeal(
                session,
                world,
                at=now - timedelta(days=3 - i),
                title=title,
                content=f"{title}，已经持续一周。",
                region_code=code,
                phone=f"1390000{key == 'a':d}00{i}",
            )
            numbers[key].append(appeal.number)
    return numbers


def _path(session: Session, code: str) -> str:
    return territory_queries.get_region_by_code(session, code).path


def _members(report: analysis.HotspotReport) -> list[set[str]]:
    return [set(h.members) for h in report.hotspots]


def test_refresh_stores_this_and_last_month_per_district_and_for_the_city(
    session: Session, world: World, now: datetime
) -> None:
    numbers = _two_districts(session, world, now)

    result = service.refresh_hotspot_snapshots(session, now=now)

    rows = {
        (s.period_key, s.region_path): s for s in session.scalars(select(HotspotSnapshot)).all()
    }
    district_a = _path(session, MiniTerritory.DISTRICT_A)
    district_b = _path(session, MiniTerritory.DISTRICT_B)
    assert set(rows) == {
        ("2026-11", ""),
        ("2026-11", district_a),
        ("2026-11", district_b),
        ("2026-10", ""),
        ("2026-10", district_a),
        ("2026-10", district_b),
    }
    assert result.periods == {"2026-11": 6, "2026-10": 0}
    assert result.snapshots == 6
    city = rows[("2026-11", "")]
    assert city.appeals == 6
    assert city.computed_at == now
    assert [set(h["members"]) for h in rows[("2026-11", district_a)].hotspots] == [
        set(numbers["a"])
    ]
    assert sorted(len(h["members"]) for h in city.hotspots) == [3, 3]
    assert [h["rank"] for h in city.hotspots] == [1, 2]
    assert rows[("2026-10", "")].hotspots == []


def test_refreshing_again_replaces_the_rows_and_drops_older_months_unless_settled(
    session: Session, world: World, now: datetime
) -> None:
    _two_districts(session, world, now)
    during = datetime(2026, 8, 20, tzinfo=now.tzinfo)  # taken while August ran: drops
    for key, at in (("2026-08", during), ("2026-07", now)):  # July's, taken after: kept
        session.add(
            HotspotSnapshot(period_key=key, region_path="", appeals=1, hotspots=[], computed_at=at)
        )
    session.commit()

    service.refresh_hotspot_snapshots(session, now=now)
    service.refresh_hotspot_snapshots(session, now=now + timedelta(hours=1))

    rows = session.scalars(select(HotspotSnapshot)).all()
    assert ("2026-07", now) in {(r.period_key, r.computed_at) for r in rows}
    rows = [r for r in rows if r.period_key != "2026-07"]
    assert sorted((r.period_key, r.region_path == "") for r in rows) == [
        ("2026-10", False),
        ("2026-10", False),
        ("2026-10", True),
        ("2026-11", False),
        ("2026-11", False),
        ("2026-11", True),
    ]
    assert {r.computed_at for r in rows} == {now + timedelta(hours=1)}


def test_the_cached_report_is_the_on_demand_one_with_its_computation_time(
    session: Session, world: World, now: datetime
) -> None:
    _two_districts(session, world, now)
    service.refresh_hotspot_snapshots(session, now=now)
    leader = world.actor("leader")

    cached = snapshots.cached_hotspots_for(
        session, actor=leader, period=NOV, now=now + timedelta(minutes=30)
    )
    live = analysis.hotspots_for(session, actor=leader, period=NOV)

    assert cached is not None
    assert cached.report.computed_at == now
    assert live.computed_at is None
    assert sorted(map(sorted, _members(cached.report))) == sorted(map(sorted, _members(live)))
    assert cached.report.appeals == live.appeals == 6
    assert [h.rank for h in cached.report.hotspots] == [1, 2]
    assert [len(ids) for ids in cached.sample_ids] == [3, 3]


def test_cached_groups_are_cut_to_the_readers_scope_and_region(
    session: Session, world: World, now: datetime
) -> None:
    numbers = _two_districts(session, world, now)
    service.refresh_hotspot_snapshots(session, now=now)

    def cut(who: str, region: str | None = None) -> analysis.HotspotReport:
        found = snapshots.cached_hotspots_for(
            session, actor=world.actor(who), period=NOV, now=now, region_code=region
        )
        assert found is not None
        return found.report

    assert _members(cut("street_a")) == [set(numbers["a"])]
    assert _members(cut("street_b")) == [set(numbers["b"])]
    assert cut("street_b").appeals == 3
    assert _members(cut("grid_a2")) == []
    narrowed = cut("leader", MiniTerritory.STREET_B)
    assert _members(narrowed) == [set(numbers["b"])]
    assert narrowed.region_name == "中关村街道"
    assert _members(cut("leader", MiniTerritory.DISTRICT_A)) == [set(numbers["a"])]
    with pytest.raises(NotFound):
        snapshots.cached_hotspots_for(
            session,
            actor=world.actor("street_b"),
            period=NOV,
            now=now,
            region_code=MiniTerritory.STREET_A,
        )


def test_a_missing_or_stale_snapshot_is_not_served(
    session: Session, world: World, now: datetime
) -> None:
    _two_districts(session, world, now)
    leader = world.actor("leader")

    before = snapshots.cached_hotspots_for(session, actor=leader, period=NOV, now=now)
    service.refresh_hotspot_snapshots(session, now=now)
    later = now + snapshots.FRESH_FOR + timedelta(minutes=1)
    stale = snapshots.cached_hotspots_for(session, actor=leader, period=NOV, now=later)
    any_age = snapshots.cached_hotspots_for(
        session, actor=leader, period=NOV, now=later, fresh_for=None
    )
    other_month = snapshots.cached_hotspots_for(
        session, actor=leader, period=parse_period("2026-09"), now=now
    )

    assert (before, stale, other_month) == (None, None, None)
    assert any_age is not None
    assert len(any_age.report.hotspots) == 2


def test_the_job_is_registered_and_refreshes_the_snapshots(
    session: Session, world: World, now: datetime
) -> None:
    _two_districts(session, world, now)
    job = next(j for j in default_jobs() if j.name == "insight.hotspots")

    summary = job.run(session, now)

    assert job.interval == snapshots.REFRESH_INTERVAL
    assert isinstance(summary, dict)
    assert summary["periods"] == {"2026-11": 6, "2026-10": 0}
    assert summary["snapshots"] == 6
    assert jobs.refresh_hotspots is job.run
    assert session.scalar(select(HotspotSnapshot).where(HotspotSnapshot.region_path == ""))
