"""Restore drill on both engines: a database with appeals, users and audit rows (and a media
file) is backed up with ``civicgrid backup``, restored with ``civicgrid restore`` into a new
empty database, and every table's row count matches; the audit chain still verifies. A
non-empty target is refused and left untouched."""

from __future__ import annotations

import os
import tarfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from tests.builders.appeals import make_appeal, make_world
from typer.testing import CliRunner

from civicgrid import backup as backups
from civicgrid import migrate
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import sealing
from civicgrid.cli import app
from civicgrid.config import get_settings
from civicgrid.db import make_engine, make_session_factory

pytestmark = pytest.mark.slow
runner = CliRunner()


def _pg_url(database: str) -> str:
    base = make_url(
        os.environ.get(
            "CIVICGRID_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    )
    return base.set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two throwaway PostgreSQL databases: the source and the (empty) restore target."""
    names = [f"civicgrid_drill_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = make_engine(_pg_url("postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(names[0]), _pg_url(names[1])
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _use(monkeypatch: pytest.MonkeyPatch, url: str, var_dir: Path) -> None:
    monkeypatch.setenv("CIVICGRID_DATABASE_URL", url)
    monkeypatch.setenv("CIVICGRID_VAR_DIR", str(var_dir))
    monkeypatch.delenv("CIVICGRID_FIELD_KEY", raising=False)
    get_settings.cache_clear()


def _fill(engine: Engine, now: datetime, media_root: Path) -> None:
    with make_session_factory(engine)() as session:
        world = make_world(session, now=now, media_root=media_root)
        make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
        make_appeal(session, world=world, now=now, status=AppealStatus.CLOSED)
    (media_root / "2026" / "11").mkdir(parents=True, exist_ok=True)
    (media_root / "2026" / "11" / "photo.jpg").write_bytes(b"\xff\xd8 not really a photo")


def _drill(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, now: datetime, source: str, target: str
) -> None:
    source_var, target_var = tmp_path / "source", tmp_path / "target"
    engine = make_engine(source)
    migrate.upgrade(engine)
    _fill(engine, now, source_var / "media")
    (source_var / "field.key").write_text("the-field-key", encoding="ascii")
    before = backups.row_counts(engine)
    engine.dispose()
    assert before["appeal"] == 2
    assert before["audit_entry"] > 10

    _use(monkeypatch, source, source_var)
    archive = tmp_path / "out" / "civicgrid.tar"
    made = runner.invoke(app, ["backup", "--out", str(archive), "--include-keys"])
    assert made.exit_code == 0, made.output
    assert "1 个媒体文件" in made.output
    again = runner.invoke(app, ["backup", "--out", str(archive)])
    assert again.exit_code == 2
    assert "不会覆盖" in again.output

    _use(monkeypatch, target, target_var)
    restored = runner.invoke(app, ["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "行数与备份一致" in restored.output

    engine = make_engine(target)
    after = backups.row_counts(engine)
    with make_session_factory(engine)() as session:
        assert sealing.verify(session).problem is None
    engine.dispose()
    assert after == before
    assert (target_var / "media" / "2026" / "11" / "photo.jpg").read_bytes().startswith(b"\xff")
    assert (target_var / "field.key").read_text(encoding="ascii") == "the-field-key"

    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code == 2
    assert "不是空的" in refused.output
    get_settings.cache_clear()


def test_restore_drill_on_sqlite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, now: datetime
) -> None:
    _drill(
        monkeypatch,
        tmp_path,
        now,
        f"sqlite:///{tmp_path}/source.db",
        f"sqlite:///{tmp_path}/target.db",
    )


@pytest.mark.postgres
def test_restore_drill_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    now: datetime,
    pg_databases: tuple[str, str],
) -> None:
    _drill(monkeypatch, tmp_path, now, *pg_databases)


def test_a_backup_without_keys_leaves_them_out_and_a_migrated_target_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path}/a.db"
    engine = make_engine(source)
    migrate.upgrade(engine)
    engine.dispose()
    (tmp_path / "field.key").write_text("k", encoding="ascii")
    _use(monkeypatch, source, tmp_path)
    archive = tmp_path / "a.tar"
    assert runner.invoke(app, ["backup", "--out", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names
    assert not [n for n in names if n.startswith("keys/")]
    # A target that was migrated already (tables, no rows) is refused too.
    target = f"sqlite:///{tmp_path}/b.db"
    engine = make_engine(target)
    migrate.upgrade(engine)
    engine.dispose()
    _use(monkeypatch, target, tmp_path / "b")
    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code == 2
    assert "张表" in refused.output
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope.tar")])
    assert missing.exit_code == 2
    assert "不存在" in missing.output
    get_settings.cache_clear()
