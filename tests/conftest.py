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
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.orm import Session

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.auth.passwords import use_cheap_parameters_for_tests
from civicgrid.clock import BEIJING, FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory

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


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.getbasetemp()
    template = root / "template.db"
    if not template.exists():
        engine = make_engine(f"sqlite:///{template}")
        migrate.upgrade(engine)
        engine.dispose()
    db_file = root / f"test_{_worker()}.db"
    shutil.copy(template, db_file)
    engine = make_engine(f"sqlite:///{db_file}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine(pytestconfig: pytest.Config) -> Iterator[Engine]:
    base_url = make_url(os.environ.get("CIVICGRID_TEST_DATABASE_URL", DEFAULT_PG_URL))
    if base_url.drivername == "postgresql":
        base_url = base_url.set(drivername="postgresql+psycopg")
    db_name = f"civicgrid_test_{_worker()}_{_run_id(pytestconfig)}"
    admin = make_engine(base_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    engine = make_engine(base_url.set(database=db_name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    admin.dispose()


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
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
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
