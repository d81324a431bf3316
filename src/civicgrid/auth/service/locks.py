"""Login-failure locks per (username, client address) (等保 2.0 登录失败处理).

After ``lockout_threshold`` failures from one address, that address may not log in to that
username for ``lockout_minutes``; other addresses are not affected, so a stranger cannot lock
an account out. Unknown usernames are counted the same way, so the lock reveals nothing about
which accounts exist. Joiners: every function here joins the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from civicgrid.auth.models import LoginLock
from civicgrid.config import Settings

_MAX_KEY = 64


def _key(value: str) -> str:
    return value[:_MAX_KEY]


def current_lock(
    session: Session, *, username: str, ip: str, now: datetime, settings: Settings
) -> LoginLock | None:
    """The failure row of (username, ip), row-locked on PostgreSQL; a row whose lock expired or
    whose last failure is older than ``lockout_minutes`` is removed first (the count starts
    again)."""
    row = session.scalar(
        select(LoginLock)
        .where(LoginLock.username == _key(username), LoginLock.ip == _key(ip))
        .with_for_update()
    )
    if row is None:
        return None
    window = timedelta(minutes=settings.lockout_minutes)
    expired = row.locked_until is not None and row.locked_until <= now
    stale = row.locked_until is None and now - row.last_failed_at >= window
    if expired or stale:
        session.delete(row)
        session.flush()
        return None
    return row


def locked_now(session: Session, *, username: str, ip: str, now: datetime) -> bool:
    """Whether (username, ip) refuses logins now, read without locking or cleaning the row
    (before a password check, which must not hold a lock; :func:`current_lock` follows)."""
    row = session.execute(
        select(LoginLock.locked_until).where(
            LoginLock.username == _key(username), LoginLock.ip == _key(ip)
        )
    ).one_or_none()
    return row is not None and row.locked_until is not None and now < row.locked_until


def is_locked(row: LoginLock | None, now: datetime) -> bool:
    """Whether a (username, ip) row currently refuses logins."""
    return row is not None and row.locked_until is not None and now < row.locked_until


def count_failure(
    session: Session, *, username: str, ip: str, now: datetime, settings: Settings
) -> datetime | None:
    """Count one failure of (username, ip) atomically (an upsert, so concurrent failures never
    lose a count); returns the time the pair is locked until when this failure reached the
    threshold, else None."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(LoginLock).values(
        username=_key(username), ip=_key(ip), failed_count=1, last_failed_at=now
    )
    stmt = upsert.on_conflict_do_update(
        index_elements=[LoginLock.username, LoginLock.ip],
        set_={"failed_count": LoginLock.failed_count + 1, "last_failed_at": now},
    ).returning(LoginLock.id, LoginLock.failed_count)
    lock_id, count = session.execute(stmt).one()
    if count < settings.lockout_threshold:
        return None
    until = now + timedelta(minutes=settings.lockout_minutes)
    session.execute(update(LoginLock).where(LoginLock.id == lock_id).values(locked_until=until))
    return until


def clear_address(session: Session, *, username: str, ip: str) -> None:
    """Forget the failures of (username, ip) after a successful login."""
    session.execute(
        delete(LoginLock).where(LoginLock.username == _key(username), LoginLock.ip == _key(ip))
    )


def clear_account(session: Session, *, username: str) -> int:
    """Forget the failures and locks of a username from every address (an administrator's
    unlock); returns how many addresses were locked or counting."""
    result = session.execute(delete(LoginLock).where(LoginLock.username == _key(username)))
    return int(getattr(result, "rowcount", 0) or 0)


def locked_addresses(session: Session, *, username: str, now: datetime) -> list[LoginLock]:
    """The addresses currently locked out of a username, for the administrator's page."""
    return list(
        session.scalars(
            select(LoginLock)
            .where(LoginLock.username == _key(username), LoginLock.locked_until > now)
            .order_by(LoginLock.locked_until.desc())
        )
    )
