"""The database throttling store on SQLite and PostgreSQL: limits hold, windows end, counts
are shared by every process on the database and survive concurrent writers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.clock import FrozenClock
from civicgrid.db import make_engine, make_session_factory
from civicgrid.errors import Throttled
from civicgrid.protect.models import ThrottleCounter
from civicgrid.protect.throttle import DatabaseStorage, Throttle, build_throttle


@pytest.fixture
def factory(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's rolled-back connection (the store commits savepoints)."""
    bind = session.connection()
    return make_session_factory(bind)


@pytest.fixture
def throttle(factory: sessionmaker[Session], clock: FrozenClock) -> Throttle:
    return Throttle(DatabaseStorage(factory, clock), clock)


def test_a_limit_allows_its_amount_then_tells_how_long_to_wait(
    throttle: Throttle, clock: FrozenClock
) -> None:
    assert [throttle.hit("login-ip", "10.0.0.1", "3/minute") for _ in range(3)] == [None] * 3
    assert throttle.hit("login-ip", "10.0.0.1", "3/minute") == 60
    clock.advance(timedelta(seconds=21))
    assert throttle.hit("login-ip", "10.0.0.1", "3/minute") == 39


def test_a_new_window_starts_when_the_old_one_has_ended(
    throttle: Throttle, clock: FrozenClock
) -> None:
    for _ in range(4):
        throttle.hit("login-ip", "10.0.0.1", "3/minute")
    clock.advance(timedelta(seconds=60))
    assert throttle.hit("login-ip", "10.0.0.1", "3/minute") is None
    assert throttle.storage.get("LIMITER/login-ip/10.0.0.1/3/1/minute") == 1


def test_identities_and_families_are_counted_apart(throttle: Throttle) -> None:
    for _ in range(2):
        throttle.hit("login-ip", "10.0.0.1", "2/minute")
    assert throttle.hit("login-ip", "10.0.0.1", "2/minute") is not None
    assert throttle.hit("login-ip", "10.0.0.2", "2/minute") is None
    assert throttle.hit("tracking-ip", "10.0.0.1", "2/minute") is None


def test_test_does_not_count_and_clear_forgets(throttle: Throttle) -> None:
    for _ in range(5):
        assert throttle.test("login-account", "zhang", "2/minute") is None
    throttle.hit("login-account", "zhang", "2/minute")
    throttle.hit("login-account", "zhang", "2/minute")
    assert throttle.test("login-account", "zhang", "2/minute") == 60
    throttle.clear("login-account", "zhang", "2/minute")
    assert throttle.test("login-account", "zhang", "2/minute") is None


def test_the_longest_wait_of_several_exceeded_limits_is_reported(
    throttle: Throttle, clock: FrozenClock
) -> None:
    limit = "2/minute;3/hour"
    throttle.hit("intake-ip", "10.0.0.1", limit)
    throttle.hit("intake-ip", "10.0.0.1", limit)
    assert throttle.hit("intake-ip", "10.0.0.1", limit) == 60
    clock.advance(timedelta(minutes=1))
    assert throttle.hit("intake-ip", "10.0.0.1", limit) == 3600 - 60


def test_enforce_raises_throttled_with_the_wait(throttle: Throttle) -> None:
    throttle.enforce("rating-ip", "10.0.0.1", "1/minute")
    with pytest.raises(Throttled) as refused:
        throttle.enforce("rating-ip", "10.0.0.1", "1/minute")
    assert refused.value.retry_after == 60
    assert refused.value.status_code == 429
    assert "60 秒" in refused.value.message


def test_a_long_or_slashed_identity_is_stored_under_its_digest(throttle: Throttle) -> None:
    long_name = "用户" * 200
    throttle.hit("login-account", long_name, "1/minute")
    assert throttle.hit("login-account", long_name, "1/minute") == 60
    assert throttle.hit("login-account", "a/b", "1/minute") is None


def test_a_disabled_throttle_never_refuses(
    factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    off = Throttle(DatabaseStorage(factory, clock), clock, enabled=False)
    assert all(off.hit("login-ip", "10.0.0.1", "1/hour") is None for _ in range(5))


def test_a_malformed_limit_is_refused(throttle: Throttle) -> None:
    with pytest.raises(ValueError, match="limit"):
        throttle.hit("login-ip", "10.0.0.1", "ten per minute")


def test_ended_counters_are_purged(throttle: Throttle, clock: FrozenClock) -> None:
    throttle.hit("login-ip", "10.0.0.1", "5/minute")
    throttle.hit("login-ip", "10.0.0.2", "5/hour")
    clock.advance(timedelta(minutes=2))
    assert isinstance(throttle.storage, DatabaseStorage)
    assert throttle.storage.purge_ended() == 1
    assert throttle.storage.get("LIMITER/login-ip/10.0.0.2/5/1/hour") == 1


@pytest.fixture
def shared_db(engine: Engine) -> Iterator[tuple[Engine, Engine, str]]:
    """Two engines on the test database, as two server processes have, and a unique family
    name; the rows they commit are deleted afterwards."""
    url = engine.url.render_as_string(hide_password=False)
    first, second = make_engine(url), make_engine(url)
    family = f"t-{uuid.uuid4().hex[:8]}"
    yield first, second, family
    with first.begin() as conn:
        conn.execute(delete(ThrottleCounter).where(ThrottleCounter.key.like(f"LIMITER/{family}/%")))
    first.dispose()
    second.dispose()


def test_two_processes_on_one_database_count_together(
    shared_db: tuple[Engine, Engine, str], clock: FrozenClock
) -> None:
    first_engine, second_engine, family = shared_db
    first = build_throttle(
        redis_url="", enabled=True, session_factory=make_session_factory(first_engine), clock=clock
    )
    second = build_throttle(
        redis_url="", enabled=True, session_factory=make_session_factory(second_engine), clock=clock
    )
    assert first.hit(family, "10.0.0.9", "3/minute") is None
    assert second.hit(family, "10.0.0.9", "3/minute") is None
    assert first.hit(family, "10.0.0.9", "3/minute") is None
    assert second.hit(family, "10.0.0.9", "3/minute") == 60


def test_concurrent_hits_are_never_lost(
    shared_db: tuple[Engine, Engine, str], clock: FrozenClock
) -> None:
    first_engine, _, family = shared_db
    storage = DatabaseStorage(make_session_factory(first_engine), clock)
    throttle = Throttle(storage, clock)
    errors: list[BaseException] = []

    def hit_five() -> None:
        try:
            for _ in range(5):
                throttle.hit(family, "10.0.0.7", "1000/hour")
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=hit_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with first_engine.connect() as conn:
        hits = conn.scalar(
            select(ThrottleCounter.hits).where(ThrottleCounter.key.like(f"LIMITER/{family}/%"))
        )
    assert hits == 40


@pytest.mark.postgres
def test_the_counters_are_unlogged_on_postgresql(postgres_engine: Engine) -> None:
    """Their commits wait for no WAL flush (migration perf_0007)."""
    with postgres_engine.connect() as conn:
        persistence = conn.scalar(
            text("SELECT relpersistence FROM pg_class WHERE relname = 'throttle_counter'")
        )
    assert persistence == "u"
