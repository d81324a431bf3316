"""``civicgrid exchange import / export`` against a migrated SQLite file: the default mapping,
a summary line, re-import idempotent, bad input exits 2 with a Chinese sentence and stores
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.builders.exchange import csv_bytes, order_row
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.appeals.models import Appeal
from civicgrid.cli import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine

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
    assert runner.invoke(app, ["catalogue", "load"]).exit_code == 0
    yield db_file
    get_settings.cache_clear()


def _appeals(db_file: Path) -> int:
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Appeal)) or 0
    finally:
        engine.dispose()


def test_import_twice_creates_then_updates(database: Path, tmp_path: Path) -> None:
    file = tmp_path / "orders.csv"
    file.write_bytes(csv_bytes([order_row("GD1"), order_row("GD2")], "gbk"))
    result = runner.invoke(app, ["exchange", "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "新建 2 件、更新 0 件" in result.output
    result = runner.invoke(app, ["exchange", "import", str(file)])
    assert "新建 0 件、更新 2 件" in result.output
    assert _appeals(database) == 2
    out = tmp_path / "out.xlsx"
    assert runner.invoke(app, ["exchange", "export", str(out)]).exit_code == 0
    again = runner.invoke(app, ["exchange", "import", str(out)])
    assert "新建 0 件、更新 2 件" in again.output, again.output


def test_dry_run_stores_nothing(database: Path, tmp_path: Path) -> None:
    file = tmp_path / "orders.csv"
    file.write_bytes(csv_bytes([order_row("GD1")]))
    result = runner.invoke(app, ["exchange", "import", str(file), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "试运行" in result.output
    assert _appeals(database) == 0


@pytest.mark.parametrize(
    ("mapping", "content", "message"),
    [
        (
            '[columns]\nexternal_no = "工单编号"\nreceived_at = "来电时间"\ncontent = "诉求内容"\n'
            'mood = "心情"\n',
            None,
            "“mood”无法识别",
        ),
        (
            '[columns]\nexternal_no = "编号"\nreceived_at = "来电时间"\ncontent = "诉求内容"\n',
            None,
            "映射的列“编号”",
        ),
        (None, b"\x81\x30\xff\xfe\x00garbage", "不支持的文件格式"),
        (None, "bad-date", "来电时间"),
    ],
)
def test_bad_input_exits_2_and_stores_nothing(
    database: Path, tmp_path: Path, mapping: str | None, content: bytes | str | None, message: str
) -> None:
    file = tmp_path / "orders.csv"
    args = ["exchange", "import", str(file)]
    if content == "bad-date":
        file.write_bytes(csv_bytes([order_row("GD1", received_at="五月一日")]))
    elif isinstance(content, bytes):
        file = tmp_path / "orders.pdf"
        file.write_bytes(content)
        args = ["exchange", "import", str(file)]
    else:
        file.write_bytes(csv_bytes([order_row("GD1")]))
    if mapping is not None:
        mapping_file = tmp_path / "mapping.toml"
        mapping_file.write_text(mapping, encoding="utf-8")
        args += ["--mapping", str(mapping_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _appeals(database) == 0
