"""FastAPI dependencies shared by every router: the database session and the clock.

Dependencies that do no I/O are ``async def`` so that they run on the event loop: every
synchronous dependency costs a hop to the thread pool (and a generator two, to enter and to
leave). The plain helpers :func:`clock_of` and :func:`settings_of` serve code that already
holds the request.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.audit import service as audit_service
from civicgrid.clock import Clock
from civicgrid.config import Settings
from civicgrid.kit.crypto import FieldCipher


def open_session(request: Request) -> Session:
    """A new session from the app's factory (nothing is read until it is used), kept on
    ``request.state.db_session`` for the template globals that read during rendering (a second
    session would wait for the first one's SQLite write lock)."""
    session: Session = request.app.state.session_factory()
    request.state.db_session = session
    return session


def close_session(session: Session, now: datetime | None = None) -> None:
    """Roll back whatever is left open and close: the request's session never commits (use
    cases commit themselves, one use case = one transaction). Refused accesses noted during
    the request (``audit.note_refusal``) are then audited in a transaction of their own."""
    session.rollback()
    if now is not None and audit_service.has_refusals(session):
        audit_service.write_refusals(session, now=now)
    session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request, rolled back and closed at the end.

    Opening a session does no I/O, so it happens on the event loop. At the end, a session whose
    transaction is still open (a read-only request) is rolled back in the thread pool, since
    that talks to the database; one whose use case committed has nothing to roll back and is
    closed on the loop, which saves both thread-pool hops of a synchronous generator."""
    session = open_session(request)
    try:
        yield session
    finally:
        if audit_service.has_refusals(session):
            await run_in_threadpool(close_session, session, clock_of(request).now())
        elif session.in_transaction():
            await run_in_threadpool(close_session, session)
        else:
            close_session(session)


async def get_read_session(
    request: Request, primary: Annotated[Session, Depends(get_session)]
) -> AsyncIterator[Session]:
    """The session reports and dashboards read through: on the read database when
    ``CIVICGRID_READ_DATABASE_URL`` is set (read-only, closed at the end), else the request's
    own session (a second SQLite session would wait for the first one's write lock)."""
    factory: sessionmaker[Session] | None = request.app.state.read_session_factory
    if factory is None:
        yield primary
        return
    session = factory()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


def clock_of(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def field_cipher(settings: Settings) -> FieldCipher:
    """The cipher of the encrypted personal-data columns for ``settings``' key.

    Built once per key and var directory in a process: the key derivation (HKDF) and, without
    a configured key, the read of the key file would otherwise run on every request.
    """
    return _cipher_for(settings.field_key, settings.var_dir)


@functools.lru_cache(maxsize=16)
def _cipher_for(field_key: str, var_dir: Path) -> FieldCipher:
    return FieldCipher(Settings(field_key=field_key, var_dir=var_dir).resolved_field_key())


async def get_clock(request: Request) -> Clock:
    return clock_of(request)


async def get_now(request: Request) -> datetime:
    return clock_of(request).now()


async def get_app_settings(request: Request) -> Settings:
    return settings_of(request)


DbSession = Annotated[Session, Depends(get_session)]
ReadSession = Annotated[Session, Depends(get_read_session)]
"""A session for reports and dashboards only: it may be on a read-only replica."""
Now = Annotated[datetime, Depends(get_now)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]
