"""Shared fixtures: engines migrated once, a rolled-back session per test, a frozen clock and
an HTTP client against the real app.

Every database test runs on SQLite; tests marked ``postgres`` run on PostgreSQL as well
(``CIVICGRID_TEST_DATABASE_URL``, default the local server's ``test`` database). The schema is
built with ``alembic upgrade head``, never ``create_all``, so migrations run on every test run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import URL, Connection, Engine, make_url, text
from sqlalchemy.orm import Session

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.auth.passwords import use_cheap_parameters_for_tests
from civicgrid.clock import BEIJING, FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from tests.builders.appeals import StoredWorld

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Tuesday 2026-11-24 10:00 Beijing time: an ordinary working day.
FROZEN_AT = datetime(2026, 11, 24, 10, 0, tzinfo=BEIJING)


# Real argon2 parameters cost ~0.1 s a hash; tests keep the algorithm but use the cheapest ones.
use_cheap_parameters_for_tests()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _run_id(config: pytest.Config) -> str:
    """Unique per test run, shared by its xdist workers, so parallel runs never collide."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["testrunuid"])[:8]
    run_id = getattr(config, "_civicgrid_run_id", None)
    if run_id is None:
        run_id = uuid.uuid4().hex[:8]
        config._civicgrid_run_id = run_id  # type: ignore[attr-defined]
    return str(run_id)


def _sqlite_template(root: Path) -> Path:
    """A migrated SQLite file in this worker's temporary folder, copied for every database."""
    template = root / "template.db"
    if not template.exists():
        engine = make_engine(f"sqlite:///{template}")
        migrate.upgrade(engine)
        engine.dispose()
    return template


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.getbasetemp()
    db_file = root / f"test_{_worker()}.db"
    shutil.copy(_sqlite_template(root), db_file)
    engine = make_engine(f"sqlite:///{db_file}")
    yield engine
    engine.dispose()


def _pg_base_url() -> URL:
    base_url = make_url(os.environ.get("CIVICGRID_TEST_DATABASE_URL", DEFAULT_PG_URL))
    if base_url.drivername == "postgresql":
        base_url = base_url.set(drivername="postgresql+psycopg")
    return base_url


@contextmanager
def _pg_database(db_name: str) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, dropped afterwards."""
    base_url = _pg_base_url()
    admin = make_engine(base_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    engine = make_engine(base_url.set(database=db_name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(pytestconfig: pytest.Config) -> Iterator[Engine]:
    with _pg_database(f"civicgrid_test_{_worker()}_{_run_id(pytestconfig)}") as engine:
        yield engine


class WorldDatabases:
    """One more database per engine kind holding the mini world of ``tests.builders.appeals``
    (territory and personas), built through the use cases and committed once per worker.

    Building the world costs the better part of a second and most service, API and page tests
    ask for it, so tests that request ``stored_world`` run on this database instead (inside
    the same rolled-back transaction as every test) and their ``world`` fixtures attach to it.
    """

    def __init__(self, root: Path, run_id: str) -> None:
        self._root = root
        self._run_id = run_id
        self._built: dict[str, tuple[Engine, StoredWorld]] = {}
        self._stack = ExitStack()

    def _new_engine(self, kind: str) -> Engine:
        if kind == "sqlite":
            db_file = self._root / f"world_{_worker()}.db"
            shutil.copy(_sqlite_template(self._root), db_file)
            engine = make_engine(f"sqlite:///{db_file}")
            self._stack.callback(engine.dispose)
            return engine
        name = f"civicgrid_test_{_worker()}_{self._run_id}_world"
        return self._stack.enter_context(_pg_database(name))

    def get(self, kind: str) -> tuple[Engine, StoredWorld]:
        if kind not in self._built:
            engine = self._new_engine(kind)
            with make_session_factory(engine)() as session:
                stored = StoredWorld.build(
                    session, now=FROZEN_AT, media_root=self._root / "world-media"
                )
            self._built[kind] = (engine, stored)
        return self._built[kind]

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def world_databases(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[WorldDatabases]:
    databases = WorldDatabases(tmp_path_factory.getbasetemp(), _run_id(pytestconfig))
    yield databases
    databases.close()


@pytest.fixture
def stored_world(engine: Engine, world_databases: WorldDatabases) -> StoredWorld:
    """The mini world, already in the database this test runs on (:class:`WorldDatabases`); a
    ``world`` fixture makes it a :class:`World` with ``stored_world.attach(session, ...)``."""
    return world_databases.get(engine.dialect.name)[1]


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The engine under test: SQLite, and PostgreSQL for tests selected with ``-m postgres``."""
    name = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    result: Engine = request.getfixturevalue(name)
    return result


@pytest.fixture
def connection(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test; on the world
    database when the test uses ``stored_world``."""
    if "stored_world" in request.fixturenames:
        databases: WorldDatabases = request.getfixturevalue("world_databases")
        engine = databases.get(engine.dialect.name)[0]
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    if trans.is_active:
        trans.rollback()
    conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits only release savepoints of the test's outer transaction."""
    sess = make_session_factory(connection)()
    yield sess
    sess.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_AT)


@pytest.fixture
def now(clock: FrozenClock) -> datetime:
    return clock.now()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url="sqlite:///unused-in-tests.db",
        secret_key="test-secret-key-not-for-production",
        field_key="b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
    )


@pytest.fixture
def app(connection: Connection, clock: FrozenClock, settings: Settings) -> FastAPI:
    return create_app(settings, session_factory=make_session_factory(connection), clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
