"""Intake over HTTP with the app's own engine (as served, not the tests' shared connection):
one request checks out one pooled connection for the throttle's count, the token check and the
use case; the grid index is built once for the engine, not per connection; the throttle, a
refused token and ``Idempotency-Key`` still behave (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from tests.api.test_appeal_intake_api import BASE, SQUARE, _body
from tests.builders.auth import MiniTerritory, make_user
from tests.conftest import _pg_database

from civicgrid import migrate
from civicgrid.app import create_app
from civicgrid.appeals.models import Appeal
from civicgrid.auth.roles import Role
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.territory.locate import CACHE as LOCATE_CACHE

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
BODY = _body()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own (the test commits), with the mini territory."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
        migrate.upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with _pg_database(f"civicgrid_intake_{uuid.uuid4().hex[:8]}") as engine:
        yield engine


def _operator_token(engine: Engine) -> str:
    with make_session_factory(engine)() as session:
        territory = MiniTerritory(session, NOW)
        grid = territory.region(MiniTerritory.GRID_A2)
        grid.boundary = json.dumps({"type": "Polygon", "coordinates": [SQUARE]})
        _user, token = make_user(
            session, role=Role.OPERATOR, region_code=MiniTerritory.CITY, now=NOW
        )
        session.commit()
    return token


def _app_client(engine: Engine, tmp_path: Path) -> TestClient:
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-not-for-production",
        field_key="b2u_3ZQZ8j0yJ6s9f0m7qX2yTqkzG7pB6w0b2uQZ9yQ=",
        run_jobs_in_process=False,
        throttle_intake="4/minute",
    )
    app = create_app(settings, session_factory=make_session_factory(engine), clock=FrozenClock(NOW))
    return TestClient(app)


def test_one_intake_request_checks_out_one_connection(own_engine: Engine, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {_operator_token(own_engine)}"}
    checkouts: list[Any] = []
    event.listen(own_engine, "checkout", lambda *args: checkouts.append(args))
    with _app_client(own_engine, tmp_path) as client:
        # The first request also writes the token's last use (a transaction of its own).
        assert client.post(BASE, json=BODY, headers=headers).status_code == 201
        builds = LOCATE_CACHE.builds
        checkouts.clear()
        second = client.post(BASE, json={**BODY, "title": "井盖缺失"}, headers=headers)
        assert second.status_code == 201, second.text
        assert len(checkouts) == 1
        # the grid index belongs to the engine, not to the request's connection
        assert LOCATE_CACHE.builds == builds
        assert (
            client.post(BASE, json=BODY, headers={"Authorization": "Bearer x"}).status_code == 401
        )
    with make_session_factory(own_engine)() as session:
        stored = session.scalars(select(Appeal).order_by(Appeal.id)).all()
        assert [a.title for a in stored] == ["路灯不亮", "井盖缺失"]
        assert all(a.region_id is not None for a in stored)


def test_the_key_replays_and_the_throttle_refuses_on_one_connection(
    own_engine: Engine, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {_operator_token(own_engine)}"}
    keyed = {**headers, "Idempotency-Key": "intake-0001"}
    with _app_client(own_engine, tmp_path) as client:
        first = client.post(BASE, json=BODY, headers=keyed)
        assert first.status_code == 201, first.text
        again = client.post(BASE, json=BODY, headers=keyed)
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        other_body = client.post(BASE, json={**BODY, "title": "别的"}, headers=keyed)
        assert other_body.status_code == 422
        assert client.post(BASE, json=BODY, headers=headers).status_code == 201
        # the limit is 4 a minute per credential, refused attempts included
        refused = client.post(BASE, json=BODY, headers=headers)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
    with make_session_factory(own_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Appeal)) == 2
