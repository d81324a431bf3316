"""Throwaway PostgreSQL databases for the benchmarks: created fresh on the server of a base URL and
dropped afterwards (a sibling module of the benchmark scripts, imported as ``bench_db``)."""

from __future__ import annotations

from sqlalchemy import make_url, text

from civicgrid.db import make_engine


def _on_server(base_url: str, *statements: str) -> None:
    admin = make_engine(make_url(base_url).render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def fresh_database(base_url: str, name: str) -> str:
    """Drop ``name`` if it exists, create it empty and answer its URL (password kept)."""
    _on_server(
        base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_database(base_url: str, name: str) -> None:
    _on_server(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
