"""The cache of closed months' dashboard figures: the same answers as counting, a changed
figure right after the write that changes it, nothing recounted for writes that cannot change
it, scopes kept apart, and the bound held."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.web.conftest import LoginAs

from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment.periods import Period, local_date, month_period, parse_period
from civicgrid.web.dashboard.figures import period_figures
from civicgrid.web.register.community_map import appeals_per_region_last_year
from civicgrid.web.shared.figure_cache import FigureCache

S = AppealStatus


def _last_month(now: datetime) -> Period:
    first = local_date(now).replace(day=1) - timedelta(days=1)
    return month_period(first.year, first.month)


def _in(period: Period, days: int) -> datetime:
    return period.start_utc + timedelta(days=days, hours=3)


@pytest.mark.postgres
def test_cached_figures_equal_counted_ones_and_follow_every_write(
    session: Session, world: World, now: datetime
) -> None:
    month = _last_month(now)
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 3))
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=_in(month, 10))
    session.commit()
    leader = world.actor("leader")
    cache = FigureCache()

    first = period_figures(session, leader, month, now, cache)
    assert first == period_figures(session, leader, month, now)
    assert sum(first.received_per_day.values()) == 2
    assert sum(first.closed_per_day.values()) == 1
    assert (cache.stats.misses, cache.stats.hits) == (1, 0)

    # A new appeal this month cannot change last month: served from the cache.
    make_appeal(session, world=world, status=S.RECEIVED, now=now)
    session.commit()
    again = period_figures(session, leader, month, now, cache)
    assert again == first
    assert cache.stats.hits == 1

    # An appeal of last month recorded late (an imported order) changes it at once.
    make_appeal(session, world=world, status=S.DISPATCHED, now=_in(month, 12))
    session.commit()
    changed = period_figures(session, leader, month, now, cache)
    assert sum(changed.received_per_day.values()) == 3
    assert changed == period_figures(session, leader, month, now)
    assert cache.stats.stale == 1

    # Work on last month's open appeal (it is closed, late) is seen too.
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 20))
    session.commit()
    assert period_figures(session, leader, month, now, cache) == period_figures(
        session, leader, month, now
    )
    assert sum(period_figures(session, leader, month, now, cache).closed_per_day.values()) == 2


@pytest.mark.postgres
def test_a_year_mixes_cached_months_with_the_live_month_and_keeps_scopes_apart(
    session: Session, world: World, now: datetime
) -> None:
    month = _last_month(now)
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 5))
    make_appeal(
        session,
        world=world,
        status=S.DISPATCHED,
        now=_in(month, 6),
        region_code=MiniTerritory.STREET_B,
        lead=world.street_b,
        handler="street_b",
    )
    make_appeal(session, world=world, status=S.RECEIVED, now=now)
    session.commit()
    year = parse_period(f"{local_date(now) - timedelta(days=364)}..{local_date(now)}")
    cache = FigureCache()
    for name in ("leader", "district_b_operator", "leader", "district_b_operator"):
        actor = world.actor(name)
        assert period_figures(session, actor, year, now, cache) == period_figures(
            session, actor, year, now
        )
    leader = period_figures(session, world.actor("leader"), year, now, cache)
    district_b = period_figures(session, world.actor("district_b_operator"), year, now, cache)
    assert sum(leader.received_per_day.values()) == 3
    assert sum(district_b.received_per_day.values()) == 1
    assert cache.stats.hits > 0

    # The live month is counted on every view: a new appeal today shows at once.
    make_appeal(session, world=world, status=S.RECEIVED, now=now)
    session.commit()
    after = period_figures(session, world.actor("leader"), year, now, cache)
    assert sum(after.received_per_day.values()) == 4


def test_the_cache_holds_its_bound(session: Session, world: World, now: datetime) -> None:
    month = _last_month(now)
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 3))
    session.commit()
    leader = world.actor("leader")
    one = period_figures(session, leader, month, now).cells
    cache = FigureCache(max_cells=one)
    before = month_period(month.first.year, month.first.month - 1 or 12)
    for period in (month, before, month):
        assert period_figures(session, leader, period, now, cache) == period_figures(
            session, leader, period, now
        )
        assert cache.cells <= cache.max_cells
    assert len(cache) == 1
    assert cache.stats.evicted == 2


@pytest.mark.postgres
def test_the_community_map_appeals_of_the_year_follow_writes(
    session: Session, world: World, now: datetime
) -> None:
    month = _last_month(now)
    grid = MiniTerritory.GRID_A1
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 3), region_code=grid)
    make_appeal(session, world=world, status=S.RECEIVED, now=now, region_code=grid)
    session.commit()
    leader = world.actor("leader")
    cache = FigureCache()
    grid_id = world.region_id(MiniTerritory.GRID_A1)
    assert appeals_per_region_last_year(session, leader, now, cache) == {grid_id: 2}
    assert appeals_per_region_last_year(session, leader, now, cache) == {grid_id: 2}
    make_appeal(session, world=world, status=S.RECEIVED, now=_in(month, 9), region_code=grid)
    session.commit()
    assert appeals_per_region_last_year(session, leader, now, cache) == {grid_id: 3}
    assert appeals_per_region_last_year(session, leader, now) == {grid_id: 3}


def _received(html: str) -> int:
    match = re.search(r'data-count="received">(\d+)<', html)
    assert match, "no received count on the dashboard"
    return int(match.group(1))


def test_the_dashboard_of_a_closed_month_shows_a_late_appeal_on_the_next_view(
    client: TestClient, login: LoginAs, session: Session, world: World, now: datetime
) -> None:
    month = _last_month(now)
    make_appeal(session, world=world, status=S.CLOSED, now=_in(month, 3))
    session.commit()
    login("leader")
    url = f"/dashboard?period={month.key}"
    assert _received(client.get(url).text) == 1
    assert _received(client.get(url).text) == 1
    make_appeal(session, world=world, status=S.RECEIVED, now=_in(month, 4))
    session.commit()
    assert _received(client.get(url).text) == 2


@pytest.mark.postgres
def test_a_change_recounts_only_the_month_its_appeal_was_received_or_closed_in(
    session: Session, world: World, now: datetime
) -> None:
    last = _last_month(now)
    before = month_period(
        (last.first - timedelta(days=1)).year, (last.first - timedelta(days=1)).month
    )
    make_appeal(session, world=world, status=S.DISPATCHED, now=_in(before, 4))
    make_appeal(session, world=world, status=S.CLOSED, now=_in(last, 4))
    session.commit()
    both = parse_period(f"{before.first}..{last.last}")
    leader = world.actor("leader")
    cache = FigureCache()
    period_figures(session, leader, both, now, cache)
    assert cache.stats.misses == 2

    # An order of the month before recorded late: that month is recounted, last month is not.
    make_appeal(session, world=world, status=S.RECEIVED, now=_in(before, 9))
    session.commit()
    counted = period_figures(session, leader, both, now, cache)
    assert (cache.stats.stale, cache.stats.hits) == (1, 1)
    assert counted == period_figures(session, leader, both, now)
    assert sum(counted.received_per_day.values()) == 3
