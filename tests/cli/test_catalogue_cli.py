"""``civicgrid catalogue load / import / export / show`` and ``civicgrid model train`` from the
database, against a migrated SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.builders.appeals import make_world
from tests.integration.dispatch.helpers import GARBAGE, WATER, make_categorised
from typer.testing import CliRunner

from civicgrid import migrate
from civicgrid.audit.models import AuditEntry
from civicgrid.cli import app
from civicgrid.clock import BEIJING
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.dispatch.models import CatalogueItemRow

runner = CliRunner()
BUILT_AT = datetime(2026, 9, 8, 10, 0, tzinfo=BEIJING)


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


def _count(db_file: Path, model: type[object], **where: object) -> int:
    engine = make_engine(f"sqlite:///{db_file}")
    session = make_session_factory(engine)()
    try:
        stmt = select(func.count()).select_from(model)
        for key, value in where.items():
            stmt = stmt.where(getattr(model, key) == value)
        return int(session.scalar(stmt) or 0)
    finally:
        session.close()
        engine.dispose()


def _json(output: str) -> dict[str, object]:
    return dict(json.loads(output.strip().splitlines()[-1]))


def test_load_is_idempotent(database: Path) -> None:
    first = runner.invoke(app, ["catalogue", "load"])
    assert first.exit_code == 0, first.output
    created = _json(first.stdout)
    assert created["created"] == _count(database, CatalogueItemRow)
    assert created["created"] > 300
    second = runner.invoke(app, ["catalogue", "load"])
    assert second.exit_code == 0
    again = _json(second.stdout)
    assert (again["created"], again["updated"], again["deactivated"]) == (0, 0, 0)
    assert again["unchanged"] == created["created"]
    assert _count(database, AuditEntry, action="catalogue.load") == 2
    shown = runner.invoke(app, ["catalogue", "show", "040301"])
    path = _json(shown.stdout)["path"]
    assert isinstance(path, list)
    assert path[1:] == ["燃气", "燃气泄漏"]
    missing = runner.invoke(app, ["catalogue", "show", "999999"])
    assert missing.exit_code == 2


def test_export_then_import_csv_and_xlsx(database: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["catalogue", "load"]).exit_code == 0
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"catalogue.{suffix}"
        exported = runner.invoke(app, ["catalogue", "export", str(out)])
        assert exported.exit_code == 0, exported.output
        assert _json(exported.stdout)["items"] == _count(database, CatalogueItemRow)
        imported = runner.invoke(app, ["catalogue", "import", str(out)])
        assert imported.exit_code == 0, imported.output
        result = _json(imported.stdout)
        assert (result["created"], result["deactivated"]) == (0, 0)
    book = load_workbook(tmp_path / "catalogue.xlsx", read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[:2] == ("code", "parent_code")
    assert runner.invoke(app, ["catalogue", "export", str(tmp_path / "c.pdf")]).exit_code == 2


def test_import_reports_every_bad_row(database: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "# version: city-1\n"
        "code,parent_code,level,name,owner_rule,owner_unit,default_level,default_finish_days\n"
        "01,,1,城市管理,none,,L3,7\n"
        "0101,01,2,环境卫生,department,,L3,7\n"
        "010101,0199,3,暴露垃圾,street,,L3,0\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["catalogue", "import", str(bad)])
    assert result.exit_code == 2
    assert "第 4 行" in result.stderr
    assert "第 5 行" in result.stderr
    assert _count(database, CatalogueItemRow) == 0
    missing = runner.invoke(app, ["catalogue", "import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert runner.invoke(app, ["catalogue", "export", str(tmp_path / "x.csv")]).exit_code == 2


def test_model_train_from_the_database(database: Path, tmp_path: Path) -> None:
    empty = runner.invoke(app, ["model", "train", "--models-dir", str(tmp_path / "m0")])
    assert empty.exit_code == 2
    assert "已办结诉求" in empty.stderr
    engine = make_engine(f"sqlite:///{database}")
    session = make_session_factory(engine)()
    world = make_world(session, now=BUILT_AT, media_root=tmp_path / "media")
    texts = {
        GARBAGE: ["门口垃圾堆放无人清运", "垃圾桶满了没人清理", "垃圾几天没人收"],
        WATER: ["整栋楼停水一天", "家里突然停水", "停水了没有通知"],
    }
    for label, contents in texts.items():
        for content in contents:
            make_categorised(
                session, world, now=BUILT_AT, title=content[:4], content=content, category=label
            )
    session.close()
    engine.dispose()
    result = runner.invoke(
        app,
        [
            "model",
            "train",
            "--models-dir",
            str(tmp_path / "m1"),
            "--holdout",
            "0",
            "--version",
            "db1",
        ],
    )
    assert result.exit_code == 0, result.output
    trained = _json(result.stdout)
    assert trained["version"] == "db1"
    assert trained["labels"] == 2
    assert trained["n_train"] == 6
