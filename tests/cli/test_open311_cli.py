"""``civicgrid open311 keys create / list / revoke`` against a migrated SQLite file: the key is
printed once on the last line and stored only hashed; bad input exits 2 with a sentence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.cli import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.open311 import service
from civicgrid.open311.models import Open311Client

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db_file = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{db_file}")
    migrate.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield db_file
    get_settings.cache_clear()


def _clients(db_file: Path) -> list[Open311Client]:
    engine = make_engine(f"sqlite:///{db_file}")
    session = make_session_factory(engine)()
    try:
        rows = list(session.scalars(select(Open311Client).order_by(Open311Client.id)))
        session.expunge_all()
        return rows
    finally:
        session.close()
        engine.dispose()


def test_create_prints_the_key_last_and_stores_only_its_hash(database: Path) -> None:
    result = runner.invoke(
        app, ["open311", "keys", "create", "--name", "随手拍", "--rate-limit", "5"]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("o311_")
    [client] = _clients(database)
    assert client.name == "随手拍"
    assert client.rate_limit_per_minute == 5
    assert client.key_hash == service.key_hash(key)
    assert key not in client.key_hash
    assert key.startswith(client.key_prefix)


def test_list_shows_clients_without_keys(database: Path) -> None:
    key = runner.invoke(app, ["open311", "keys", "create", "--name", "甲"]).output.split()[-1]
    result = runner.invoke(app, ["open311", "keys", "list"])
    assert result.exit_code == 0
    [line] = result.output.strip().splitlines()
    row = json.loads(line)
    assert row["name"] == "甲"
    assert row["rate_limit_per_minute"] == 60
    assert row["revoked_at"] is None
    assert key not in result.output


def test_revoke_by_name_or_id_and_refusals(database: Path) -> None:
    runner.invoke(app, ["open311", "keys", "create", "--name", "甲"])
    runner.invoke(app, ["open311", "keys", "create", "--name", "乙"])
    assert runner.invoke(app, ["open311", "keys", "revoke", "甲"]).exit_code == 0
    second = _clients(database)[1]
    assert runner.invoke(app, ["open311", "keys", "revoke", str(second.id)]).exit_code == 0
    assert all(c.revoked_at is not None for c in _clients(database))
    again = runner.invoke(app, ["open311", "keys", "revoke", "甲"])
    assert again.exit_code == 2
    assert "已吊销" in again.output
    unknown = runner.invoke(app, ["open311", "keys", "revoke", "丙"])
    assert unknown.exit_code == 2
    assert "丙" in unknown.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--name", "  "], "名称"),
        (["--name", "x" * 101], "名称"),
        (["--name", "甲", "--rate-limit", "100001"], "限额"),
    ],
)
def test_create_refuses_bad_input(database: Path, args: list[str], needle: str) -> None:
    result = runner.invoke(app, ["open311", "keys", "create", *args])
    assert result.exit_code == 2
    assert needle in result.output
    assert _clients(database) == []


def test_a_taken_name_is_refused(database: Path) -> None:
    runner.invoke(app, ["open311", "keys", "create", "--name", "甲"])
    result = runner.invoke(app, ["open311", "keys", "create", "--name", "甲"])
    assert result.exit_code == 2
    assert "已存在" in result.output
    assert len(_clients(database)) == 1
