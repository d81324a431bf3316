"""The figure cache's shared level (Redis): what one process counted another serves after the
same timeline check (so a changed month is recounted, never served stale); entries keyed by the
database's identity; Redis down costs the shared level, never an answer; SQLite not shared."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from redis import Redis
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment.periods import Period, local_date, month_period
from civicgrid.web.dashboard.figures import period_figures
from civicgrid.web.shared.figure_cache import FigureCache
from civicgrid.web.shared.figure_store import (
    RedisFigureStore,
    SharedEntry,
    StretchFigures,
    database_identity,
    decode,
    encode,
)

REDIS_URL = os.environ.get("CIVICGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _last_month(now: datetime) -> Period:
    first = local_date(now).replace(day=1) - timedelta(days=1)
    return month_period(first.year, first.month)


def _closed_appeal_last_month(session: Session, world: World, now: datetime) -> Period:
    """Last month, with one appeal closed in it; skips on a database that is not shared."""
    if database_identity(session) is None:
        pytest.skip("figures are shared for PostgreSQL databases only")
    month = _last_month(now)
    make_appeal(
        session, world=world, status=AppealStatus.CLOSED, now=month.start_utc + timedelta(days=2)
    )
    session.commit()
    return month


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix unique to the test; its keys are deleted afterwards."""
    name = f"t-figures-{uuid.uuid4().hex[:8]}"
    yield name
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)
    client.close()


def test_an_entry_survives_its_text_form() -> None:
    figures = StretchFigures(
        received_per_day={date(2026, 11, 3): 4},
        closed_per_day={date(2026, 11, 5): 1},
        per_category={"": 1, "A01": 3},
        per_region={17: 4},
    )
    entry = SharedEntry(figures, 42, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert decode(encode(entry)) == entry


@pytest.mark.redis
@pytest.mark.postgres
def test_a_month_counted_by_one_process_is_served_to_another_and_recounted_when_it_changes(
    session: Session, world: World, now: datetime, prefix: str
) -> None:
    month = _closed_appeal_last_month(session, world, now)
    leader = world.actor("leader")
    first = FigureCache(shared=RedisFigureStore(REDIS_URL, prefix=prefix))
    second = FigureCache(shared=RedisFigureStore(REDIS_URL, prefix=prefix))

    counted = period_figures(session, leader, month, now, first)
    assert first.stats.misses == 1
    served = period_figures(session, leader, month, now, second)
    assert served == counted
    assert (second.stats.shared, second.stats.hits, second.stats.misses) == (1, 1, 0)

    # An order of that month recorded late: a process that never held the month in memory
    # gets it from Redis, sees the change on the timeline and recounts.
    make_appeal(
        session, world=world, status=AppealStatus.RECEIVED, now=month.start_utc + timedelta(days=9)
    )
    session.commit()
    third = FigureCache(shared=RedisFigureStore(REDIS_URL, prefix=prefix))
    recounted = period_figures(session, leader, month, now, third)
    assert (third.stats.shared, third.stats.stale) == (1, 1)
    assert sum(recounted.received_per_day.values()) == 2
    assert recounted == period_figures(session, leader, month, now)


def test_redis_down_or_sqlite_still_counts(session: Session, world: World, now: datetime) -> None:
    month = _last_month(now)
    make_appeal(
        session, world=world, status=AppealStatus.CLOSED, now=month.start_utc + timedelta(days=2)
    )
    session.commit()
    leader = world.actor("leader")
    cache = FigureCache(shared=RedisFigureStore("redis://127.0.0.1:1/0"))
    for _ in range(2):
        assert period_figures(session, leader, month, now, cache) == period_figures(
            session, leader, month, now
        )
    assert (cache.stats.misses, cache.stats.hits, cache.stats.shared) == (1, 1, 0)


@pytest.mark.redis
@pytest.mark.postgres
def test_an_entry_of_another_timeline_is_not_trusted(
    session: Session, world: World, now: datetime, prefix: str
) -> None:
    month = _closed_appeal_last_month(session, world, now)
    leader = world.actor("leader")
    first = FigureCache(shared=RedisFigureStore(REDIS_URL, prefix=prefix))
    counted = period_figures(session, leader, month, now, first)
    ((key, entry),) = [
        ((scope, start, end), SharedEntry(StretchFigures(), e.watermark, e.watermark_at))
        for (scope, start, end), e in _shared_entries(first, session)
    ]
    # The same key rewritten as if counted on a timeline whose event at that id was another
    # (a database rebuilt under the same name): the next process ignores it and counts.
    forged = SharedEntry(StretchFigures(), entry.watermark, entry.watermark_at - timedelta(1))
    assert first.shared is not None
    first.shared.put_many(session, [(key, forged)])
    second = FigureCache(shared=RedisFigureStore(REDIS_URL, prefix=prefix))
    assert period_figures(session, leader, month, now, second) == counted
    assert (second.stats.shared, second.stats.misses) == (0, 1)


def _shared_entries(
    cache: FigureCache, session: Session
) -> list[tuple[tuple[str, datetime, datetime], SharedEntry]]:
    assert cache.shared is not None
    keys = list(cache._entries)  # the keys the cache holds
    found = cache.shared.get_many(session, keys)
    return [(k, e) for k, e in zip(keys, found, strict=True) if e is not None]
