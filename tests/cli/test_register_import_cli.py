"""``civicgrid register import`` against a migrated SQLite file: all-or-nothing by default (a
file with one invalid row exits 2 and stores nothing), ``--mode valid-rows`` an explicit choice
that imports the good rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import csv_file, import_row
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.cli import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.register import service
from civicgrid.register.models import Resident

runner = CliRunner()
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    with make_session_factory(engine)() as session:
        MiniTerritory(session, NOW)
        service.ensure_default_tags(session, actor=SYSTEM, now=NOW)
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def _residents(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Resident)) or 0


def _file(tmp_path: Path) -> Path:
    rows = [
        import_row(grid_code=MiniTerritory.GRID_A1, room="201"),
        import_row(grid_code=MiniTerritory.GRID_A1, room="202", id_no="110105198003040221"),
    ]
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(rows))
    return path


def test_without_mode_a_file_with_an_invalid_row_stores_nothing(
    cli_db: Engine, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["register", "import", str(_file(tmp_path))])
    assert result.exit_code == 2, result.output
    assert "未写入任何数据" in result.stderr
    assert "第 3 行" in result.stderr
    assert _residents(cli_db) == 0


def test_valid_rows_imports_the_good_rows(cli_db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["register", "import", str(_file(tmp_path)), "--mode", "valid-rows"]
    )
    assert result.exit_code == 0, result.output
    assert "已导入 1 人" in result.stdout
    assert _residents(cli_db) == 1
