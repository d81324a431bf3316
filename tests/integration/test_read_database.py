"""The read database of reports and dashboards (``CIVICGRID_READ_DATABASE_URL``): its sessions
cannot write on either engine, and with the setting pointing at a second database the leader
dashboard shows that database's content while logins and sessions stay on the primary."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from tests.builders.auth import SYSTEM, MiniTerritory, make_user
from tests.conftest import _pg_database

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.auth.roles import Role
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_read_engine, make_session_factory
from civicgrid.territory import service as territory_service
from civicgrid.territory.models import Region

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
PASSWORD = "Str0ng!Passw0rd"
REPLICA_GRID = "副本里的网格"


def test_a_read_engine_refuses_every_write(engine: Engine) -> None:
    reader = make_read_engine(engine.url.render_as_string(hide_password=False))
    try:
        with reader.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Region)) is not None
            with pytest.raises(DBAPIError, match=r"(?i)read.?only"):
                conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            conn.rollback()
    finally:
        reader.dispose()


@pytest.mark.postgres
def test_the_apps_postgresql_connections_do_not_jit_compile(postgres_engine: Engine) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    for engine in (make_engine(url), make_read_engine(url)):
        try:
            with engine.connect() as conn:
                assert conn.scalar(text("SHOW jit")) == "off"
        finally:
            engine.dispose()


def _grid_collection() -> dict[str, Any]:
    """A city down to one grid with a boundary, for the replica only."""
    ring = [[115.99, 38.99], [116.01, 38.99], [116.01, 39.01], [115.99, 39.01], [115.99, 38.99]]
    rows = [
        ("139800000000", "副本市", "city", None, None),
        ("139801000000", "副本区", "district", "139800000000", None),
        ("139801001000", "副本街道", "street", "139801000000", None),
        ("139801001001", "副本社区", "community", "139801001000", None),
        ("139801001001001", REPLICA_GRID, "grid", "139801001001", ring),
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": c, "name": n, "level": lv, "parent_code": p},
                "geometry": {"type": "Polygon", "coordinates": [g]} if g else None,
            }
            for c, n, lv, p, g in rows
        ],
    }


@pytest.fixture
def two_databases(tmp_path: Path) -> tuple[str, str]:
    """A primary with the mini territory and a global admin, and a copy of it (the "replica")
    that has since received one more city with a grid."""
    primary, replica = tmp_path / "primary.db", tmp_path / "replica.db"
    engine = make_engine(f"sqlite:///{primary}")
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        MiniTerritory(session, NOW)
        make_user(session, role=Role.ADMIN, username="chief", password=PASSWORD, now=NOW)
        session.commit()
    engine.dispose()
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as copy:
        source.backup(copy)
    copy_engine = make_engine(f"sqlite:///{replica}")
    with make_session_factory(copy_engine)() as session:
        territory_service.import_geojson(
            session, collection=_grid_collection(), actor=SYSTEM, now=NOW
        )
    copy_engine.dispose()
    return f"sqlite:///{primary}", f"sqlite:///{replica}"


def _dashboard(tmp_path: Path, primary: str, replica: str) -> str:
    """The leader dashboard and its grid list as the global admin sees them."""
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=primary,
        read_database_url=replica,
        secret_key="test-secret-key-not-for-production",
        field_key="b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
        run_jobs_in_process=False,
    )
    with TestClient(create_app(settings, clock=FrozenClock(NOW))) as client:
        login = client.post(
            "/login", data={"username": "chief", "password": PASSWORD}, follow_redirects=False
        )
        assert login.status_code == 303, login.text
        page = client.get("/dashboard")
        assert page.status_code == 200, page.text
        # The dashboard's grid list (fetched by the page when 网格明细 opens) is read there too.
        grids = client.get("/dashboard/grids")
        assert grids.status_code == 200, grids.text
        html: str = page.text + grids.text
        return html


@pytest.mark.postgres
def test_the_dashboard_reads_from_a_postgresql_read_database(
    tmp_path: Path, two_databases: tuple[str, str]
) -> None:
    """The replica is a second PostgreSQL database: the dashboard's reads all run in read-only
    transactions there (a write would fail) and show its content."""
    primary, _copy = two_databases
    with _pg_database(f"civicgrid_replica_{uuid.uuid4().hex[:8]}") as replica:
        with make_session_factory(replica)() as session:
            territory_service.import_geojson(
                session, collection=_grid_collection(), actor=SYSTEM, now=NOW
            )
        url = replica.url.render_as_string(hide_password=False)
        assert REPLICA_GRID in _dashboard(tmp_path, primary, url)


def test_the_dashboard_reads_from_the_read_database(
    tmp_path: Path, two_databases: tuple[str, str]
) -> None:
    primary, replica = two_databases
    assert REPLICA_GRID in _dashboard(tmp_path, primary, replica)
    assert REPLICA_GRID not in _dashboard(tmp_path, primary, "")  # the primary has no such grid
