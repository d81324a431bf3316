"""Throttling per client and per account with the ``limits`` library's fixed-window strategy.

The counting algorithm is ``limits``'; this module supplies its storage: a table in the
application database by default (:class:`DatabaseStorage`, shared by every server process that
uses the database) or Redis when ``CIVICGRID_REDIS_URL`` is set. Each counter is written in its
own short transaction, so an attempt counts even when the request that made it is rolled back.

On SQLite every transaction takes the write lock at BEGIN: call the throttle before the
request's session has run a statement or after its use case committed, never inside an open
write transaction of the same request.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Annotated, cast

from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Float, Integer, String, Table, bindparam, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from civicgrid.clock import Clock, SystemClock
from civicgrid.errors import Throttled
from civicgrid.protect.models import ThrottleCounter

# Keys longer than this (a very long account name) are replaced by their digest.
_MAX_IDENTITY = 100


class DatabaseStorage(Storage):
    """``limits`` storage over the ``throttle_counter`` table (SQLite and PostgreSQL).

    ``incr`` is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, atomic on both
    engines, so concurrent processes never lose a hit. Time comes from the injected clock."""

    STORAGE_SCHEME = None

    def __init__(self, session_factory: Callable[[], Session], clock: Clock) -> None:
        super().__init__()
        self._session_factory = session_factory
        self._clock = clock

    def on(self, sessions: Callable[[], Session]) -> DatabaseStorage:
        """The same counters, written through ``sessions`` (e.g. sessions on the connection a
        request already holds, :func:`civicgrid.db.one_connection`)."""
        return DatabaseStorage(sessions, self._clock)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._now()
        with self._session_factory() as session:
            stmt = _INCR[session.get_bind().dialect.name == "postgresql"]
            params = {"key": key, "hits": amount, "expires": now + expiry, "now": now}
            hits = int(session.execute(stmt, params).scalar_one())
            session.commit()
        return hits

    def _window(self, key: str) -> tuple[int, float] | None:
        """(hits, end of window) of a counter whose window is still running."""
        with self._session_factory() as session:
            row = session.execute(
                select(ThrottleCounter.hits, ThrottleCounter.expires_epoch_s).where(
                    ThrottleCounter.key == key
                )
            ).one_or_none()
            session.rollback()
        if row is None or row.expires_epoch_s <= self._now():
            return None
        return int(row.hits), float(row.expires_epoch_s)

    def get(self, key: str) -> int:
        window = self._window(key)
        return 0 if window is None else window[0]

    def get_expiry(self, key: str) -> float:
        window = self._window(key)
        return self._now() if window is None else window[1]

    def check(self) -> bool:
        try:
            with self._session_factory() as session:
                session.execute(select(func.count()).select_from(ThrottleCounter))
                session.rollback()
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._session_factory() as session:
            count = session.scalar(select(func.count()).select_from(ThrottleCounter)) or 0
            session.execute(delete(ThrottleCounter))
            session.commit()
        return int(count)

    def clear(self, key: str) -> None:
        with self._session_factory() as session:
            session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))
            session.commit()

    def purge_ended(self) -> int:
        """Delete the counters whose window has ended; returns how many went."""
        now = self._now()
        with self._session_factory() as session:
            result = session.execute(
                delete(ThrottleCounter).where(ThrottleCounter.expires_epoch_s <= now)
            )
            session.commit()
        return int(getattr(result, "rowcount", 0) or 0)


def _incr_statement(postgresql: bool) -> ReturningInsert[int]:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING hits`` of one hit: a new key starts a window
    of ``:hits`` ending at ``:expires``; a running window adds ``:hits``; an ended one restarts.
    Built once per dialect (building it per hit cost more CPU than running it)."""
    table = cast(Table, ThrottleCounter.__table__)
    insert = pg_insert if postgresql else sqlite_insert
    stmt = insert(table).values(
        key=bindparam("key", type_=String()),
        hits=bindparam("hits", type_=Integer()),
        expires_epoch_s=bindparam("expires", type_=Float()),
    )
    ended = table.c.expires_epoch_s <= bindparam("now", type_=Float())
    return stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "hits": case((ended, stmt.excluded.hits), else_=table.c.hits + stmt.excluded.hits),
            "expires_epoch_s": case(
                (ended, stmt.excluded.expires_epoch_s), else_=table.c.expires_epoch_s
            ),
        },
    ).returning(table.c.hits)


_INCR = {postgresql: _incr_statement(postgresql) for postgresql in (False, True)}


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> tuple[RateLimitItem, ...]:
    items: list[RateLimitItem] = parse_many(limit)
    if not items:
        raise ValueError(f"no limit in {limit!r}")
    return tuple(items)


def parse_limits(limit: str) -> list[RateLimitItem]:
    """``"10/minute;100/hour"`` → limit items; a malformed text raises ``ValueError``. The
    settings' few texts are parsed once each."""
    return list(_parsed(limit))


class Throttle:
    """Counts attempts per (family, identity) against limits and tells how long to wait.

    ``name`` is the counter family (``"login-ip"``), ``key`` the identity (an IP, an account
    name), ``limit`` the ``limits`` notation (``"10/minute;100/hour"``)."""

    def __init__(self, storage: Storage, clock: Clock, *, enabled: bool = True) -> None:
        self.storage = storage
        self._limiter = FixedWindowRateLimiter(storage)
        self._clock = clock
        self.enabled = enabled

    def hit(
        self, name: str, key: str, limit: str, *, sessions: Callable[[], Session] | None = None
    ) -> int | None:
        """Count one attempt; ``None`` when every limit still holds, else seconds to wait.

        ``sessions`` makes the database counters use those sessions (their own short
        transactions still) instead of the throttle's; a Redis throttle ignores it."""
        if not self.enabled:
            return None
        limiter = self._limiter
        if sessions is not None and isinstance(self.storage, DatabaseStorage):
            limiter = FixedWindowRateLimiter(self.storage.on(sessions))
        identity = _identity(name, key)
        over = [item for item in parse_limits(limit) if not limiter.hit(item, *identity)]
        return self._retry_after(limiter, over, identity)

    def test(self, name: str, key: str, limit: str) -> int | None:
        """Would one more attempt be refused? Same answer as :meth:`hit`, without counting."""
        if not self.enabled:
            return None
        identity = _identity(name, key)
        over = [item for item in parse_limits(limit) if not self._limiter.test(item, *identity)]
        return self._retry_after(self._limiter, over, identity)

    def enforce(
        self, name: str, key: str, limit: str, *, sessions: Callable[[], Session] | None = None
    ) -> None:
        """Count one attempt and raise :class:`Throttled` (HTTP 429) when a limit is exceeded."""
        retry_after = self.hit(name, key, limit, sessions=sessions)
        if retry_after is not None:
            raise Throttled(retry_after)

    def clear(self, name: str, key: str, limit: str) -> None:
        """Forget the counts of ``key`` (e.g. after a successful login)."""
        identity = _identity(name, key)
        for item in parse_limits(limit):
            self._limiter.clear(item, *identity)

    def _retry_after(
        self,
        limiter: FixedWindowRateLimiter,
        over: Sequence[RateLimitItem],
        identity: tuple[str, str],
    ) -> int | None:
        if not over:
            return None
        now = self._clock.now().timestamp()
        ends = max(limiter.get_window_stats(item, *identity).reset_time for item in over)
        # Redis reports a window's end in whole seconds of TTL: never claim more than a window.
        longest = max(item.get_expiry() for item in over)
        return min(longest, max(1, math.ceil(ends - now)))


def _identity(name: str, key: str) -> tuple[str, str]:
    if len(key) > _MAX_IDENTITY or "/" in key:
        key = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return name, key


def build_throttle(
    *,
    redis_url: str,
    enabled: bool,
    session_factory: sessionmaker[Session],
    clock: Clock,
) -> Throttle:
    """The configured throttle: Redis when ``redis_url`` is set, else the database table.

    Redis keeps its own time (key TTLs), so the wall clock is used to compute ``Retry-After``."""
    if redis_url:
        storage = storage_from_string(redis_url)
        if not isinstance(storage, Storage):
            raise ValueError(f"CIVICGRID_REDIS_URL must name a synchronous store: {redis_url!r}")
        return Throttle(storage, SystemClock(), enabled=enabled)
    return Throttle(DatabaseStorage(session_factory, clock), clock, enabled=enabled)


def client_ip(request: Request) -> str:
    """The client's address, the identity of per-IP limits (the proxy must pass it through to
    uvicorn with ``--proxy-headers``/``--forwarded-allow-ips``, see docs/operations.md)."""
    return request.client.host if request.client is not None else "unknown"


async def get_throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
