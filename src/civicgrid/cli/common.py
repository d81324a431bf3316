"""Helpers shared by CLI commands: database access and turning domain errors into exit 2."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from civicgrid.audit import service as audit_service
from civicgrid.clock import SystemClock
from civicgrid.config import Settings, get_settings
from civicgrid.db import make_engine, make_session_factory
from civicgrid.errors import DomainError

EXIT_INVALID = 2


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code)


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session on the configured database; domain errors become exit code 2."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url)
    session = make_session_factory(engine)()
    try:
        yield session
    except DomainError as exc:
        session.rollback()
        # Refusals noted for the audit log (a rejected import file …) survive the rollback.
        audit_service.write_refusals(session, now=SystemClock().now())
        typer.echo(f"错误: {exc.message}", err=True)
        sys.exit(EXIT_INVALID)
    finally:
        session.close()
        engine.dispose()
