"""``civicgrid assessment rebuild|refresh|report`` against a migrated SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.builders.appeals import make_appeal, make_world
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.appeals.states import AppealStatus
from civicgrid.cli import app
from civicgrid.clock import BEIJING
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory

runner = CliRunner()

# Earlier than any real "now": the CLI reads the wall clock, and every window has closed.
BUILT_AT = datetime(2026, 9, 8, 10, 0, tzinfo=BEIJING)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db_file = tmp_path / "cli.db"
    engine = make_engine(f"sqlite:///{db_file}")
    migrate.upgrade(engine)
    session = make_session_factory(engine)()
    world = make_world(session, now=BUILT_AT, media_root=tmp_path / "media")
    make_appeal(session, world=world, status=AppealStatus.CLOSED, now=BUILT_AT)
    make_appeal(session, world=world, status=AppealStatus.SIGNED, now=BUILT_AT)
    session.close()
    engine.dispose()
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield db_file
    get_settings.cache_clear()


def test_rebuild_then_report(database: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["assessment", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "2 件工单" in result.output
    result = runner.invoke(app, ["assessment", "refresh"])
    assert result.exit_code == 0, result.output

    out = tmp_path / "report.xlsx"
    result = runner.invoke(app, ["assessment", "report", "--period", "2026-09", "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "汇总"
    rows = list(wb["街道(乡镇)"].iter_rows(values_only=True))
    jianwai = next(r for r in rows if r[1] == "建外街道")
    assert jianwai[0] == 1
    assert jianwai[3] == 50.0  # 响应率 in percent: one of two signed orders was contacted

    csv_out = tmp_path / "report.csv"
    result = runner.invoke(
        app, ["assessment", "report", "--period", "2026-09", "--out", str(csv_out)]
    )
    assert result.exit_code == 0, result.output
    assert "建外街道" in csv_out.read_text(encoding="utf-8-sig")


def test_bad_input_exits_with_code_2(database: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["assessment", "report", "--period", "2026-13", "--out", str(tmp_path / "x.xlsx")]
    )
    assert result.exit_code == 2
    assert "考核周期" in result.output
    result = runner.invoke(
        app, ["assessment", "report", "--period", "2026-09", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2


def test_config_file_overrides_weights(database: Path, tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(parents=True, exist_ok=True)
    (var / "assessment.json").write_text(json.dumps({"weight_response": 0.9}), encoding="utf-8")
    result = runner.invoke(
        app, ["assessment", "report", "--period", "2026-09", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 2
    assert "权重之和" in result.output
