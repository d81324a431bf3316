"""Account lifecycle (等保 2.0 身份鉴别): changing one's own password, an administrator's reset
(forces a change at the next login), deactivation and reactivation, locking and unlocking, and
the list of a user's web sessions with revoke-all.

Every use case writes an audit row. Credentials that may be compromised stop working at once:
a reset revokes the user's web sessions and API tokens; a change of one's own password revokes
the other web sessions; a deactivation or a lock makes sessions and tokens fail their check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, LoginLock, User, WebSession
from civicgrid.auth.passwords import hash_password, password_problems, verify_password
from civicgrid.auth.service import locks
from civicgrid.auth.service.tokens import sha256_hex
from civicgrid.auth.service.users import load_user, require_admin
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid


def _check_new_password(user: User, password: str) -> None:
    problems = password_problems(password, username=user.username)
    if verify_password(password, user.password_hash):
        problems.append("新密码不能与当前密码相同")
    if problems:
        raise Invalid("；".join(problems), detail=problems)


def _revoke_sessions(
    session: Session, *, user_id: int, now: datetime, keep_hash: str | None = None
) -> int:
    stmt = update(WebSession).where(
        WebSession.user_id == user_id,
        WebSession.revoked_at.is_(None),
        WebSession.expires_at > now,
    )
    if keep_hash is not None:
        stmt = stmt.where(WebSession.session_hash != keep_hash)
    result = session.execute(stmt.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def _revoke_tokens(session: Session, *, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@use_case
def change_password(
    session: Session,
    *,
    user_id: int,
    current_password: str,
    new_password: str,
    actor: Actor,
    now: datetime,
    keep_session_hash: str | None = None,
) -> User:
    """The actor changes their own password; the other web sessions end (the one given by
    ``keep_session_hash`` stays). Clears a forced change. Raises Forbidden (another user),
    Invalid (wrong current password, or the new one breaks the policy)."""
    if actor.user_id != user_id:
        raise Forbidden("只能修改自己的密码")
    user = load_user(session, user_id)
    if not verify_password(current_password, user.password_hash):
        raise Invalid("当前密码不正确")
    _check_new_password(user, new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.must_change_password = False
    ended = _revoke_sessions(session, user_id=user.id, now=now, keep_hash=keep_session_hash)
    record(
        session,
        actor=actor,
        action="auth.password_change",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail={"sessions_ended": ended},
    )
    return user


@use_case
def reset_password(
    session: Session, *, user_id: int, new_password: str, actor: Actor, now: datetime
) -> User:
    """An administrator sets a temporary password; the user must change it at the next login.
    The user's web sessions and API tokens are revoked and the address locks cleared. Raises
    Forbidden, NotFound, Invalid (policy)."""
    require_admin(actor)
    user = load_user(session, user_id)
    _check_new_password(user, new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.must_change_password = True
    sessions = _revoke_sessions(session, user_id=user.id, now=now)
    tokens = _revoke_tokens(session, user_id=user.id, now=now)
    locks.clear_account(session, username=user.username)
    record(
        session,
        actor=actor,
        action="auth.password_reset",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail={"sessions_ended": sessions, "tokens_revoked": tokens},
    )
    return user


@use_case
def deactivate_user(
    session: Session, *, user_id: int, reason: str, actor: Actor, now: datetime
) -> User:
    """An administrator deactivates an account (it can no longer log in; its sessions end and
    its tokens stop working). Raises Forbidden (also for one's own account), NotFound,
    Conflict (already inactive), Invalid (no reason)."""
    require_admin(actor)
    if actor.user_id == user_id:
        raise Forbidden("不能停用自己的账号")
    if not reason.strip():
        raise Invalid("请填写停用原因")
    user = load_user(session, user_id)
    if not user.is_active:
        raise Conflict("该账号已停用")
    user.is_active = False
    ended = _revoke_sessions(session, user_id=user.id, now=now)
    record(
        session,
        actor=actor,
        action="auth.deactivate",
        subject_type="user",
        subject_id=user.id,
        now=now,
        reason=reason.strip()[:500],
        detail={"sessions_ended": ended},
    )
    return user


@use_case
def reactivate_user(session: Session, *, user_id: int, actor: Actor, now: datetime) -> User:
    """An administrator reactivates an account. Raises Forbidden, NotFound, Conflict (active)."""
    require_admin(actor)
    user = load_user(session, user_id)
    if user.is_active:
        raise Conflict("该账号未停用")
    user.is_active = True
    record(
        session,
        actor=actor,
        action="auth.reactivate",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )
    return user


@use_case
def lock_user(
    session: Session, *, user_id: int, until: datetime, reason: str, actor: Actor, now: datetime
) -> User:
    """An administrator locks an account until a time (e.g. while a leak is investigated):
    logins are refused and its sessions and tokens stop working until then. Raises
    Forbidden (also for oneself), NotFound, Invalid (time not in the future, no reason)."""
    require_admin(actor)
    if actor.user_id == user_id:
        raise Forbidden("不能锁定自己的账号")
    if until.tzinfo is None or until <= now:
        raise Invalid("锁定截止时间必须是带时区的将来时间")
    if not reason.strip():
        raise Invalid("请填写锁定原因")
    user = load_user(session, user_id)
    user.locked_until = until
    record(
        session,
        actor=actor,
        action="auth.lock",
        subject_type="user",
        subject_id=user.id,
        now=now,
        reason=reason.strip()[:500],
        detail={"locked_until": until.isoformat()},
    )
    return user


@use_case
def unlock_user(session: Session, *, user_id: int, actor: Actor, now: datetime) -> int:
    """An administrator lifts an account lock and the login-failure locks of every address;
    returns how many addresses were cleared. Raises Forbidden, NotFound."""
    require_admin(actor)
    user = load_user(session, user_id)
    was_locked = user.locked_until is not None and user.locked_until > now
    user.locked_until = None
    cleared = locks.clear_account(session, username=user.username)
    record(
        session,
        actor=actor,
        action="auth.unlock",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail={"account_was_locked": was_locked, "addresses_cleared": cleared},
    )
    return cleared


def locked_addresses(
    session: Session, *, user_id: int, actor: Actor, now: datetime
) -> Sequence[LoginLock]:
    """The client addresses currently locked out of an account (admin only)."""
    require_admin(actor)
    user = load_user(session, user_id)
    return locks.locked_addresses(session, username=user.username, now=now)


def list_sessions(
    session: Session, *, user_id: int, actor: Actor, now: datetime
) -> Sequence[WebSession]:
    """A user's web sessions that are still valid, newest first (the user or an admin)."""
    if actor.user_id != user_id:
        require_admin(actor)
    return session.scalars(
        select(WebSession)
        .where(
            WebSession.user_id == user_id,
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
        )
        .order_by(WebSession.id.desc())
    ).all()


def session_hash_of(raw_session_id: str) -> str:
    """The stored hash of an unsigned session id (to mark or keep the current session)."""
    return sha256_hex(raw_session_id)


@use_case
def revoke_sessions(
    session: Session,
    *,
    user_id: int,
    actor: Actor,
    now: datetime,
    keep_session_hash: str | None = None,
) -> int:
    """End all of a user's web sessions (but the one given by ``keep_session_hash``); the
    user themself or an admin. Returns how many ended. Raises Forbidden, NotFound."""
    if actor.user_id != user_id:
        require_admin(actor)
    user = load_user(session, user_id)
    ended = _revoke_sessions(session, user_id=user.id, now=now, keep_hash=keep_session_hash)
    record(
        session,
        actor=actor,
        action="auth.sessions_revoke",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail={"sessions_ended": ended},
    )
    return ended
