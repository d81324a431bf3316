"""Run Alembic migrations programmatically (``civicgrid migrate``, ``make run``, tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from civicgrid.config import PROJECT_ROOT


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at this project's migrations."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(PROJECT_ROOT / "migrations")))
    cfg.attributes["skip_logging"] = True
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def include_object_for(dialect_name: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` hook for autogenerate on ``dialect_name``: schema objects
    declared with ``.ddl_if(dialect=...)`` for other dialects only (the PostgreSQL trigram
    index on addresses) are left out, as ``create_all`` and the migrations leave them out."""

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        dialect = getattr(ddl_if, "dialect", None)
        if dialect is None:
            return True
        return dialect_name == dialect if isinstance(dialect, str) else dialect_name in dialect

    return include_object


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database behind ``engine`` to ``revision``."""
    cfg = alembic_config()
    with _migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database behind ``engine`` down to ``revision``."""
    cfg = alembic_config()
    with _migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for the migrations.

    On SQLite, foreign-key enforcement is switched off for the run (the pragma only takes effect
    outside a transaction, so it goes to the driver connection before the transaction begins).
    Batch mode rebuilds a table by copying it and dropping the old one; with enforcement on, that
    DROP deletes row by row and checks every referencing table, which on a table that refers to
    itself (``outbox_message.source_id``) scans the copy once per row: hours on a demo city's
    56,000 messages. Integrity is checked with ``PRAGMA foreign_key_check`` before the commit.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.execute(text("PRAGMA foreign_key_check")).first()
                    if broken is not None:
                        raise RuntimeError(f"migration left a broken foreign key: {tuple(broken)}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
