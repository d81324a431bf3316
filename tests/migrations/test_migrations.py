"""Migrations and models agree, on SQLite and PostgreSQL; the chain has one head and
downgrades cleanly to empty."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import civicgrid.models_index  # noqa: F401
from civicgrid import migrate
from civicgrid.db import Base, make_engine

pytestmark = pytest.mark.slow


def test_migration_chain_has_a_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        opts = {
            "compare_type": True,
            "include_object": migrate.include_object_for(conn.dialect.name),
        }
        ctx = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_upgrade_downgrade_upgrade_on_a_fresh_sqlite_file(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/roundtrip.db")
    migrate.upgrade(engine)
    assert "region" in inspect(engine).get_table_names()
    migrate.downgrade(engine, "base")
    assert "region" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
