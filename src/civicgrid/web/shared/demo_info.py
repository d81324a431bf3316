"""What the pages of a demo city add: the demo accounts on the login page, and a banner on
every page while the year's history is still being built in the background.

Both are template globals (``demo_accounts(request)``, ``demo_history(request)``) read from the
``demo_city`` row through a short cache kept on the app (``app.state``): a page pays one
primary-key read every few seconds at most while the history builds, and one every
half-minute otherwise (a real deployment has no row). The banner is shown to logged-in users
(``base.html``); the public portal pages never read it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session, sessionmaker

from civicgrid.clock import monotonic
from civicgrid.demo import status
from civicgrid.demo.accounts import DEMO_PASSWORD, DemoLogin, demo_logins

ACCOUNTS_SECONDS = 60.0
BUILDING_SECONDS = 3.0
SETTLED_SECONDS = 30.0


@dataclass(frozen=True)
class DemoAccounts:
    password: str
    logins: list[DemoLogin]


@dataclass(frozen=True)
class HistoryBanner:
    """What the banner says: ``building`` (with counts and an estimate), ``waiting`` (not
    started yet) or ``interrupted``."""

    kind: str
    done: int
    total: int
    percent: int
    remaining_minutes: int | None
    message: str


def _cache(request: Request) -> dict[str, tuple[float, object]]:
    state = request.app.state
    cache: dict[str, tuple[float, object]] | None = getattr(state, "demo_info_cache", None)
    if cache is None:
        cache = {}
        state.demo_info_cache = cache
    return cache


def forget_demo_info(app: FastAPI) -> None:
    """Drop the cached reads, so the next page reads the row again."""
    app.state.demo_info_cache = {}


def _cached(request: Request, kind: str) -> tuple[bool, object]:
    hit = _cache(request).get(kind)
    if hit is not None and monotonic() < hit[0]:
        return True, hit[1]
    return False, None


def _store(request: Request, kind: str, value: object, seconds: float) -> None:
    _cache(request)[kind] = (monotonic() + seconds, value)


@contextmanager
def _session(request: Request) -> Iterator[Session]:
    """The request's own session when it has one (``civicgrid.deps.open_session``): on SQLite a
    second session would wait for the write lock the first one holds; else a new one."""
    own: Session | None = getattr(request.state, "db_session", None)
    if own is not None:
        yield own
        return
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def demo_accounts(request: Request) -> DemoAccounts | None:
    """The demo accounts and their password when the database is a demo city, else None."""
    found, value = _cached(request, "accounts")
    if found:
        return value if isinstance(value, DemoAccounts) else None
    with _session(request) as session:
        accounts = (
            DemoAccounts(DEMO_PASSWORD, demo_logins(session))
            if status.is_demo_city(session)
            else None
        )
    _store(request, "accounts", accounts, ACCOUNTS_SECONDS)
    return accounts


def banner_for(progress: status.HistoryProgress | None, now: datetime) -> HistoryBanner | None:
    """The banner for the history build's ``progress``; None when there is nothing to say."""
    if progress is None or progress.complete:
        return None
    remaining = progress.remaining(now)
    minutes = None if remaining is None else max(1, round(remaining.total_seconds() / 60))
    if progress.interrupted:
        kind = "interrupted"
    elif progress.state == status.PENDING:
        kind = "waiting"
    else:
        kind = "building"
    return HistoryBanner(
        kind=kind, done=progress.done, total=progress.total, percent=progress.percent,
        remaining_minutes=minutes, message=progress.message,
    )  # fmt: skip


def demo_history(request: Request) -> HistoryBanner | None:
    """The history banner of a demo city whose history is not complete yet, else None."""
    found, value = _cached(request, "history")
    if found:
        return value if isinstance(value, HistoryBanner) else None
    with _session(request) as session:
        progress = status.history_progress(session)
    banner = banner_for(progress, request.app.state.clock.now())
    _store(request, "history", banner, SETTLED_SECONDS if banner is None else BUILDING_SECONDS)
    return banner
