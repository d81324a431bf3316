"""Dashboard counts of ``appeals.queries``: every figure stays inside the viewer's data scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries import figures
from civicgrid.appeals.states import AppealStatus

S = AppealStatus


def _dispatched_in_street_b(session: Session, world: World, now: datetime) -> Appeal:
    return make_appeal(
        session,
        world=world,
        status=S.DISPATCHED,
        now=now,
        region_code=MiniTerritory.STREET_B,
        lead=world.street_b,
        handler="street_b",
    )


def test_counts_respect_the_viewers_scope(session: Session, world: World, now: datetime) -> None:
    in_a = make_appeal(session, world=world, status=S.CLOSED, now=now)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)
    in_b = _dispatched_in_street_b(session, world, now)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    leader, district_b = world.actor("leader"), world.actor("district_b_operator")

    assert queries.count_received_for(session, leader, start=start, end=end) == 3
    assert queries.count_received_for(session, district_b, start=start, end=end) == 1
    assert queries.count_closed_for(session, leader, start=start, end=end) == 1
    assert queries.count_closed_for(session, district_b, start=start, end=end) == 0
    assert queries.count_open_for(session, leader) == 2
    assert queries.count_open_for(session, district_b) == 1
    assert queries.count_overdue_for(session, leader, now=now) == 0
    assert queries.count_overdue_for(session, leader, now=now + timedelta(days=60)) == 2
    assert queries.count_overdue_for(session, district_b, now=now + timedelta(days=60)) == 1
    assert len(queries.received_times_for(session, district_b, start=start, end=end)) == 1
    assert queries.closed_times_for(session, leader, start=start, end=end) == [in_a.closed_at]
    assert queries.category_counts_for(session, leader, start=start, end=end) == {"": 3}
    assert queries.category_counts_for(session, district_b, start=start, end=end) == {"": 1}

    region_ids = [in_a.region_id, in_b.region_id]
    assert all(isinstance(r, int) for r in region_ids)
    ids = [r for r in region_ids if r is not None]
    per_region = queries.received_per_region_for(
        session, district_b, region_ids=ids, start=start, end=end
    )
    assert per_region == {in_b.region_id: 1}
    open_b = queries.open_in_regions_for(session, district_b, region_ids=ids, limit=10)
    assert [a.id for a in open_b] == [in_b.id]
    assert (
        queries.received_per_region_for(session, leader, region_ids=[], start=start, end=end) == {}
    )


OPEN_AND_CLOSED = (
    S.RECEIVED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.EXTENSION_REQUESTED,
    S.PARKED,
    S.REPLIED,
    S.CLOSED,
)


@pytest.mark.postgres
def test_open_per_region_agrees_with_the_warning_rule_at_every_moment(
    session: Session, world: World, now: datetime
) -> None:
    """The SQL tallies of the dashboard and the community map (``open_per_region_for``) equal
    what ``warning_for`` says of each open appeal loaded in Python, in two regions."""
    for status in OPEN_AND_CLOSED:
        for hours in (0, 3, 20, 80, 400):
            make_appeal(session, world=world, status=status, now=now - timedelta(hours=hours))
        make_appeal(
            session,
            world=world,
            status=status,
            now=now - timedelta(hours=30),
            region_code=MiniTerritory.STREET_B,
            lead=world.street_b,
            handler="street_b",
        )
    session.commit()
    leader = world.actor("leader")
    ids = sorted({a.region_id for a in session.scalars(select(Appeal)) if a.region_id})
    assert len(ids) == 2
    for later in (0, 1, 12, 30, 100, 300, 1000):
        at = now + timedelta(hours=later)
        expected: dict[int, queries.RegionOpen] = {}
        for appeal in queries.open_in_regions_for(session, leader, region_ids=ids, limit=1000):
            assert appeal.region_id is not None
            level = queries.warning_for(appeal, at)
            old = expected.get(appeal.region_id, queries.RegionOpen())
            expected[appeal.region_id] = queries.RegionOpen(
                old.open + 1,
                old.red + (level is WarningLevel.RED),
                old.yellow + (level is WarningLevel.YELLOW),
                old.green + (level is WarningLevel.GREEN),
            )
        got = queries.open_per_region_for(session, leader, region_ids=ids, now=at)
        assert got == expected, f"{later} h later"
        assert {r: c.warning for r, c in got.items()} == {
            r: max(
                (lv for lv, n in ((WarningLevel.RED, c.red), (WarningLevel.YELLOW, c.yellow),
                 (WarningLevel.GREEN, c.green)) if n),
                key=[WarningLevel.GREEN, WarningLevel.YELLOW, WarningLevel.RED].index,
                default=None,
            )
            for r, c in expected.items()
        }  # fmt: skip
    assert queries.open_per_region_for(session, leader, region_ids=[], now=now) == {}


@pytest.mark.postgres
def test_live_figures_in_one_statement_equal_the_separate_counts(
    session: Session, world: World, now: datetime
) -> None:
    earlier = now - timedelta(days=3)
    make_appeal(session, world=world, status=S.CLOSED, now=earlier)  # received and closed before
    make_appeal(session, world=world, status=S.CLOSED, now=now)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)
    make_appeal(session, world=world, status=S.DISPATCHED, now=earlier - timedelta(days=30))
    _dispatched_in_street_b(session, world, now)
    session.commit()
    start, end = now - timedelta(days=5), now + timedelta(days=1)
    for later in (now, now + timedelta(days=60)):  # nothing overdue; every open one overdue
        for name in ("leader", "district_b_operator"):
            actor = world.actor(name)
            live = figures.live_figures_for(session, actor, start=start, end=end, now=later)
            assert live.received_per_day == figures.received_per_day_for(
                session, actor, start=start, end=end
            )
            assert live.closed_per_day == figures.closed_per_day_for(
                session, actor, start=start, end=end
            )
            assert live.per_category == queries.category_counts_for(
                session, actor, start=start, end=end
            )
            assert (live.open_now, live.overdue_now) == figures.open_and_overdue_for(
                session, actor, now=later
            )
    leader = figures.live_figures_for(
        session, world.actor("leader"), start=start, end=end, now=now + timedelta(days=60)
    )
    assert sum(leader.received_per_day.values()) == 4
    assert sum(leader.closed_per_day.values()) == 2
    assert (leader.open_now, leader.overdue_now) == (3, 3)


@pytest.mark.postgres
def test_region_figures_in_one_statement_equal_the_separate_counts(
    session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=S.CLOSED, now=now)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now - timedelta(days=40))
    make_appeal(session, world=world, status=S.RECEIVED, now=now)
    _dispatched_in_street_b(session, world, now)
    session.commit()
    start, end = now - timedelta(days=5), now + timedelta(days=1)
    ids = sorted({a.region_id for a in session.scalars(select(Appeal)) if a.region_id})
    for later in (now, now + timedelta(days=60)):
        for name in ("leader", "district_b_operator"):
            actor = world.actor(name)
            found = figures.region_figures_for(session, actor, now=later, received_in=(start, end))
            received = figures.received_by_region_for(session, actor, start=start, end=end)
            assert {r: f.received for r, f in found.items() if f.received} == received
            open_now = figures.open_per_region_for(session, actor, region_ids=ids, now=later)
            assert {r: f.open for r, f in found.items() if f.open.open} == open_now
            only_open = figures.region_figures_for(session, actor, now=later)
            assert {r: f.open for r, f in only_open.items()} == open_now
            assert all(f.received == 0 for f in only_open.values())
