"""Long commands without a terminal (a pipe, a log, the test runner): no bar is drawn, only
the one-line summary with the time taken. Register import, assessment rebuild, model train,
backup and restore against a migrated SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.builders.appeals import make_appeal, make_world
from tests.builders.auth import SYSTEM, MiniTerritory
from tests.builders.register import csv_file, import_row
from tests.cli.test_model_cli import write_csv
from typer.testing import CliRunner, Result

from civicgrid import backup as backups
from civicgrid import migrate
from civicgrid.appeals.states import AppealStatus
from civicgrid.cli import app
from civicgrid.clock import BEIJING
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.register import service as register_service

runner = CliRunner()
BUILT_AT = datetime(2026, 9, 8, 10, 0, tzinfo=BEIJING)
BAR_MARKS = ("\x1b", "\r", "━", "预计剩余", "已用")


def _use(monkeypatch: pytest.MonkeyPatch, url: str, var_dir: Path) -> None:
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(var_dir))
    monkeypatch.delenv("CIVICGRID_FIELD_KEY", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        world = make_world(session, now=BUILT_AT, media_root=tmp_path / "var" / "media")
        make_appeal(session, world=world, status=AppealStatus.CLOSED, now=BUILT_AT)
        register_service.ensure_default_tags(session, actor=SYSTEM, now=BUILT_AT)
        session.commit()
    engine.dispose()
    _use(monkeypatch, url, tmp_path / "var")
    yield url
    get_settings.cache_clear()


def _only_the_summary(result: Result, starts: str) -> str:
    """The output is one line, the summary, and nothing a bar would have drawn."""
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(starts), lines[0]
    assert "用时" in lines[0]
    for mark in BAR_MARKS:
        assert mark not in result.output
    return lines[0]


def test_register_import_prints_only_its_summary(database: str, tmp_path: Path) -> None:
    rows = [
        import_row(grid_code=MiniTerritory.GRID_A1, room=str(100 + i), name=f"住户{i}")
        for i in range(1, 8)
    ]
    data = tmp_path / "people.csv"
    data.write_bytes(csv_file(rows))
    result = runner.invoke(app, ["register", "import", str(data)])
    line = _only_the_summary(result, "已导入 7 人")
    assert "共 7 行，0 行有错误" in line


def test_assessment_rebuild_prints_only_its_summary(database: str) -> None:
    result = runner.invoke(app, ["assessment", "rebuild"])
    _only_the_summary(result, "已重建考核汇总：1 件工单")


def test_backup_and_restore_print_only_their_summaries(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "civicgrid.tar"
    made = runner.invoke(app, ["backup", "--out", str(archive)])
    _only_the_summary(made, f"已备份到 {archive}")
    _use(monkeypatch, f"sqlite:///{tmp_path / 'restored.db'}", tmp_path / "restored-var")
    restored = runner.invoke(app, ["restore", str(archive)])
    line = _only_the_summary(restored, f"已恢复 {archive}")
    assert "行数与备份一致" in line


def test_model_train_keeps_json_on_stdout_and_its_summary_on_stderr(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "appeals.csv")
    result = runner.invoke(
        app,
        ["model", "train", "--csv", str(data), "--text-col", "title+detail",
         "--models-dir", str(tmp_path / "models"), "--version", "p1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("{")
    assert len(result.stdout.splitlines()) == 1
    err = result.stderr.splitlines()
    assert len(err) == 1
    assert err[0].startswith("已训练模型 p1：3 个类别，48 条样本，用时 ")
    for mark in BAR_MARKS:
        assert mark not in result.output


def test_backup_reports_its_phases_up_to_their_totals(database: str, tmp_path: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    manifest = backups.create_backup(
        get_settings(),
        tmp_path / "b.tar",
        now=BUILT_AT,
        progress=lambda *call: heard.append(call),
    )
    phases = list(dict.fromkeys(step for step, _, _ in heard))
    assert phases == ["统计行数", "数据库"]
    tables = len(manifest.row_counts)
    assert [d for s, d, t in heard if s == "统计行数"] == list(range(tables + 1))
    assert {t for s, _, t in heard if s == "统计行数"} == {tables}
    assert [(d, t) for s, d, t in heard if s == "数据库"] == [(0, 1), (1, 1)]
