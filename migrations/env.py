"""Alembic environment: the URL comes from the caller (``civicgrid migrate``) or Settings."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

import civicgrid.models_index  # noqa: F401  (registers every table on Base.metadata)
from civicgrid.config import get_settings
from civicgrid.db import Base, make_engine
from civicgrid.migrate import include_object_for

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    kwargs: dict[str, Any] = {
        "connection": connection,
        "target_metadata": target_metadata,
        "compare_type": True,
        "include_object": include_object_for(connection.dialect.name),
    }
    if connection.dialect.name == "sqlite":
        kwargs["render_as_batch"] = True
    context.configure(**kwargs)


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
