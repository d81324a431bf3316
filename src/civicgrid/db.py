"""Engine and session factories, the declarative Base, and the unit-of-work helper.

One use case = one transaction: functions decorated with :func:`use_case` commit on return and
roll back on exception. Joiners (audit.record, notify.enqueue, timeline appends) never commit.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite stores it naive, as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


POSTGRES_OPTIONS = "-c jit=off"
"""Session settings of the app's PostgreSQL connections. No JIT: the app's statements are
short, and compiling a count over a large table cost 69 of its 502 ms at a million appeals
(docs/benchmarks.md, load test)."""


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for SQLite or PostgreSQL (psycopg 3) with the project's pragmas."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"options": POSTGRES_OPTIONS},
    )


def make_read_engine(url: str) -> Engine:
    """An engine for the read database (``CIVICGRID_READ_DATABASE_URL``) whose sessions can only
    read: PostgreSQL sessions start with ``default_transaction_read_only``, SQLite connections
    are ``query_only`` and begin deferred transactions (no write lock). A write through it
    fails in the database, whatever the code above it does."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            connect_args={"options": f"{POSTGRES_OPTIONS} -c default_transaction_read_only=on"},
        )
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; the SQLAlchemy SQLite dialect docs
    # recommend taking over BEGIN ourselves so that nested transactions work.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    """A session factory; ``bind`` is an Engine, or a Connection in tests."""
    kwargs: dict[str, Any] = {"expire_on_commit": False}
    if not isinstance(bind, Engine):
        kwargs["join_transaction_mode"] = "create_savepoint"
    return sessionmaker(bind=bind, **kwargs)


@contextlib.contextmanager
def one_connection(factory: sessionmaker[Session]) -> Iterator[Callable[[], Session]]:
    """Sessions that share one pooled connection, checked out once for the block.

    Each session made by the yielded callable still runs its own transactions on that
    connection (a session that commits, commits only its own work), but the pool's checkout
    (with its pre-ping round trip) happens once instead of once per session and per commit.
    For a hot request that writes in two transactions (a throttle counter, then its use case).
    A factory bound to a Connection (tests) already shares one: it is used as it is."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine):
        yield factory
        return
    with bind.connect() as connection:
        yield functools.partial(factory, bind=connection, info={_DATABASE: bind})


_DATABASE = "civicgrid.database"


def database_of(session: Session) -> object:
    """What names the database ``session`` works on, for caches kept per database: its bind
    (the Engine; in tests the Connection of the test), or for a session of
    :func:`one_connection` the engine its connection came from (not the connection, which is
    another one on every request)."""
    return session.info.get(_DATABASE) or session.get_bind()


P = ParamSpec("P")
R = TypeVar("R")

_IN_USE_CASE = "civicgrid.in_use_case"


def use_case(
    fn: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Run ``fn`` as one transaction: commit on return, roll back on any exception.

    A use case never calls another use case; shared steps are joiners that take the session.
    """

    @functools.wraps(fn)
    def wrapper(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if session.info.get(_IN_USE_CASE):
            raise RuntimeError(f"use case {fn.__name__} called inside another use case")
        session.info[_IN_USE_CASE] = True
        try:
            result = fn(session, *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info[_IN_USE_CASE] = False

    return wrapper
