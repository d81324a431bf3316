"""民情图 figures per region (each summed over the grids under it): the appeals of the last 365
days counted in one statement grouped by month equal the months counted one by one (with and
without the figure cache), and the register counts are cached until a register write commits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.builders.auth import MiniTerritory
from tests.builders.register import make_house, make_resident

from civicgrid.appeals.queries import map_figures as appeal_map
from civicgrid.appeals.queries.figures import received_by_region_for
from civicgrid.appeals.states import AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.kit.periods import day_range, local_date
from civicgrid.register import service as register_service
from civicgrid.territory import queries as territory_queries
from civicgrid.web.register.map_figures import (
    PastSum,
    RegisterCountCache,
    per_part,
    received_last_year,
    received_past_and_live,
    register_counts,
    year_stretches,
)
from civicgrid.web.shared.figure_cache import FigureCache, stretches


def test_counts_per_path_go_to_the_part_whose_path_starts_theirs() -> None:
    per_path = {"/1/2/8/40/": 3, "/1/3/9/": 2, "/1/22/5/": 7, "/1/2/": 1}
    assert per_part(per_path, [(2, "/1/2/"), (3, "/1/3/")]) == {2: 4, 3: 2}
    assert per_part({"/1/2/8/40/": 3}, [(40, "/1/2/8/40/")]) == {40: 3}  # a grid on its own
    assert per_part(per_path, []) == {}


@pytest.mark.postgres
def test_the_year_in_one_statement_equals_the_months_counted_one_by_one(
    session: Session, world: World, now: datetime
) -> None:
    for days, grid in ((3, True), (40, True), (100, False), (200, True), (400, True)):
        make_appeal(
            session, world=world, status=AppealStatus.CLOSED, now=now - timedelta(days=days),
            grid=grid,
        )  # fmt: skip
    make_appeal(session, world=world, status=AppealStatus.RECEIVED, now=now, grid=True)
    session.commit()
    today = local_date(now)
    past, live = stretches(day_range(today - timedelta(days=364), today), today)
    months = [*past, *([live] if live else [])]
    grouped = appeal_map.received_per_region_in(session, "", months)
    system = Actor.system()
    assert grouped == [received_by_region_for(session, system, start=s, end=e) for s, e in months]
    year = received_last_year(session, now)
    assert year[world.region_id(MiniTerritory.GRID_A1)] == 4  # 3, 40, 200 days ago and today
    assert year[world.region_id(MiniTerritory.CITY)] == 5  # the one of 400 days ago is out
    cache = FigureCache()
    assert received_last_year(session, now, cache) == year
    assert received_last_year(session, now, cache) == year
    before_today, _today = year_stretches(now)
    assert cache.stats.hits == len(before_today)  # the months and this month's earlier days
    assert cache.stats.misses == len(before_today)
    # An appeal received yesterday, recorded late: yesterday's cached count follows.
    make_appeal(
        session, world=world, status=AppealStatus.RECEIVED, now=now - timedelta(days=1), grid=True
    )
    session.commit()
    grid_a1 = world.region_id(MiniTerritory.GRID_A1)
    assert received_last_year(session, now, cache)[grid_a1] == year[grid_a1] + 1
    year = received_last_year(session, now)
    past_sum = PastSum()
    first = received_past_and_live(session, now, cache, past_sum=past_sum)
    assert received_past_and_live(session, now, cache, past_sum=past_sum)[0] is first[0]
    district_a = world.region_id(MiniTerritory.DISTRICT_A)
    path = territory_queries.region_paths(session, [district_a])[district_a]
    before, this_month = received_past_and_live(
        session, now, parts=[(district_a, path)], under=[path]
    )
    grid_a1 = world.region_id(MiniTerritory.GRID_A1)
    assert before.get(grid_a1, 0) + this_month.get(district_a, 0) == 5  # with yesterday's


@pytest.mark.postgres
def test_register_counts_are_served_until_a_register_write(
    session: Session, world: World, now: datetime
) -> None:
    register_service.ensure_default_tags(session, actor=Actor.system(), now=now)
    house = make_house(session, grid_code=MiniTerritory.GRID_A1, now=now, room="101")
    make_resident(session, house=house, now=now, name="张伟", tags=["低保"])
    session.commit()
    cache = RegisterCountCache()
    grid = world.region_id(MiniTerritory.GRID_A1)
    first = register_counts(session, sensitive=False, now=now, cache=cache)
    assert first.per_region[grid].residents == 1
    assert first.per_region[world.region_id(MiniTerritory.DISTRICT_A)].residents == 1
    assert "低保" not in first.per_region[grid].tags  # a sensitive tag, left out
    assert register_counts(session, sensitive=True, now=now, cache=cache).per_region[grid].tags == {
        "低保": 1
    }
    assert register_counts(session, sensitive=False, now=now, cache=cache) is first
    assert cache.stats.hits == 1
    make_resident(session, house=house, now=now, name="李娜")
    session.commit()
    after = register_counts(session, sensitive=False, now=now, cache=cache)
    assert after.per_region[grid].residents == 2
    assert cache.stats.stale == 1
    assert after == register_counts(session, sensitive=False, now=now)
