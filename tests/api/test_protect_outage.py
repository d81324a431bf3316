"""While the database cannot be reached the app answers 503 with Retry-After (JSON for the API,
a Chinese page for pages), logs one line per failed request, and recovers by itself when the
database is back. PostgreSQL is made unreachable through a loopback relay that is cut and
restored; SQLite through a database file that cannot be opened."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError
from tests.builders.tcp_relay import TcpRelay

from civicgrid.app import create_app
from civicgrid.clock import FrozenClock
from civicgrid.config import Settings
from civicgrid.db import make_engine
from civicgrid.protect.outage import UNAVAILABLE_MESSAGE
from civicgrid.protect.unreachable import is_unreachable

API = "/api/v1/appeals"
NO_TOKEN = {"Authorization": "Bearer no-such-token"}
TRACK = {"number": "20261124000001", "phone_tail": "1234"}


def _own_engine_client(settings: Settings, database_url: str, clock: FrozenClock) -> TestClient:
    """An app that builds its own engine from the settings, as ``civicgrid serve`` does."""
    own = settings.model_copy(update={"database_url": database_url, "run_jobs_in_process": False})
    return TestClient(create_app(own, clock=clock))


@pytest.fixture
def relay(postgres_engine: Engine) -> Iterator[TcpRelay]:
    url = postgres_engine.url
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    yield relay
    relay.cut()


def _relayed_url(postgres_engine: Engine, relay: TcpRelay) -> str:
    url = make_url(postgres_engine.url.render_as_string(hide_password=False))
    return url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)


def _one_line_per_failure(caplog: pytest.LogCaptureFixture, failures: int) -> None:
    lines = [r for r in caplog.records if r.name == "civicgrid.protect"]
    assert len(lines) == failures
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in lines)
    assert all("database unreachable" in r.getMessage() for r in lines)
    assert not [r for r in caplog.records if r.exc_info is not None]


@pytest.mark.postgres
def test_postgres_outage_gives_503_and_the_app_recovers_by_itself(
    postgres_engine: Engine,
    relay: TcpRelay,
    settings: Settings,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with _own_engine_client(settings, _relayed_url(postgres_engine, relay), clock) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get(API, headers=NO_TOKEN).status_code == 401  # the token was looked up

        relay.cut()
        caplog.clear()
        caplog.set_level(logging.WARNING)
        api = client.get(API, headers=NO_TOKEN)
        assert api.status_code == 503
        assert api.headers["retry-after"] == str(settings.outage_retry_after_s)
        assert api.json() == {
            "detail": UNAVAILABLE_MESSAGE,
            "error": "Unavailable",
            "retry_after": settings.outage_retry_after_s,
        }
        page = client.post("/portal/track", data=TRACK, headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "服务暂时不可用" in page.text
        assert "Traceback" not in page.text
        assert "psycopg" not in page.text
        assert page.headers["content-security-policy"]
        _one_line_per_failure(caplog, failures=2)

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["database"] == "unreachable"
        assert client.get("/healthz").status_code == 200

        relay.restore()
        assert client.get(API, headers=NO_TOKEN).status_code == 401
        assert client.get("/readyz").status_code == 200


def test_an_unopenable_sqlite_file_gives_503_not_a_traceback(
    tmp_path: Path, settings: Settings, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no-such-directory" / "civicgrid.db"
    caplog.set_level(logging.WARNING)
    with _own_engine_client(settings, f"sqlite:///{missing}", clock) as client:
        response = client.get(API, headers=NO_TOKEN)
        assert response.status_code == 503
        assert response.headers["retry-after"] == str(settings.outage_retry_after_s)
        assert client.get("/readyz").status_code == 503
    _one_line_per_failure(caplog, failures=1)


def _error_of(engine: Engine, sql: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
        conn.execute(text(sql))
    return raised.value


def test_statement_errors_are_not_taken_for_an_outage(engine: Engine) -> None:
    assert not is_unreachable(_error_of(engine, "SELECT no_such_column FROM audit_entry"))
    assert not is_unreachable(_error_of(engine, "SELECT * FROM no_such_table"))


@pytest.mark.postgres
def test_a_refused_postgres_connection_is_an_outage(relay: TcpRelay) -> None:
    relay.cut()
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{relay.port}/test")
    try:
        assert is_unreachable(_error_of(engine, "SELECT 1"))
    finally:
        engine.dispose()
