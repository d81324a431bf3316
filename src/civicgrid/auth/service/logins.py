"""Logins with lockout, and web sessions with idle timeout and absolute expiry.

Failed logins and lockouts are audited too: those use cases return the refusal instead of
raising it, so that the failure counter and the audit row are committed, and the thin public
wrappers (:func:`login`, :func:`login_for_token`) raise it afterwards.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, User, WebSession
from civicgrid.auth.passwords import (
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from civicgrid.auth.service.tokens import new_token, sha256_hex
from civicgrid.auth.service.users import (
    audit_actor,
    build_actor,
    load_user,
)
from civicgrid.clock import to_beijing
from civicgrid.config import Settings
from civicgrid.db import use_case
from civicgrid.errors import DomainError, Invalid, Locked, Unauthenticated

SESSION_SALT = "civicgrid.web-session"
# last_seen_at is refreshed at most once a minute, so that reading pages does not turn every
# request into a write; the idle timeout is counted in minutes anyway.
_LAST_SEEN_GRANULARITY = timedelta(minutes=1)

BAD_CREDENTIALS = "用户名或密码错误"


def _fmt_beijing(at: datetime) -> str:
    return to_beijing(at).strftime("%Y-%m-%d %H:%M")


def _authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    ip: str,
    channel: str,
) -> User | DomainError:
    """Check a username and password with the lockout rule (等保 2.0 登录失败处理): after
    ``settings.lockout_threshold`` failures in a row the account is locked for
    ``settings.lockout_minutes``. Writes the failure counter and the audit rows; returns the
    user or the error to raise after commit. Joins the caller's transaction."""
    username = username.strip()
    detail = {"channel": channel, "ip": ip}
    # Row lock on PostgreSQL so that concurrent failures cannot lose a count (SQLite already
    # serialises writers with BEGIN IMMEDIATE).
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        verify_dummy(password)
        record(
            session,
            actor=Actor(user_id=None, username=username[:64] or "-", display_name="未知用户"),
            action="auth.login",
            subject_type="user",
            subject_id="",
            now=now,
            outcome="failure",
            reason="unknown_user",
            detail=detail,
        )
        return Unauthenticated(BAD_CREDENTIALS)
    who = audit_actor(user)
    if user.locked_until is not None:
        if now < user.locked_until:
            verify_dummy(password)
            record(
                session,
                actor=who,
                action="auth.login",
                subject_type="user",
                subject_id=user.id,
                now=now,
                outcome="denied",
                reason="locked",
                detail=detail,
            )
            return Locked(_locked_message(user.locked_until))
        user.locked_until = None
        user.failed_login_count = 0
    if not verify_password(password, user.password_hash):
        user.failed_login_count += 1
        record(
            session,
            actor=who,
            action="auth.login",
            subject_type="user",
            subject_id=user.id,
            now=now,
            outcome="failure",
            reason="wrong_password",
            detail={**detail, "failed_count": user.failed_login_count},
        )
        if user.failed_login_count >= settings.lockout_threshold:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_login_count = 0
            record(
                session,
                actor=who,
                action="auth.lockout",
                subject_type="user",
                subject_id=user.id,
                now=now,
                outcome="denied",
                reason=f"{settings.lockout_threshold} failed logins",
                detail={**detail, "locked_until": user.locked_until.isoformat()},
            )
            session.flush()
            return Locked(_locked_message(user.locked_until))
        session.flush()
        return Unauthenticated(BAD_CREDENTIALS)
    if not user.is_active:
        record(
            session,
            actor=who,
            action="auth.login",
            subject_type="user",
            subject_id=user.id,
            now=now,
            outcome="denied",
            reason="inactive",
            detail=detail,
        )
        return Unauthenticated("账号已停用，请联系系统管理员")
    user.failed_login_count = 0
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(
        session,
        actor=who,
        action="auth.login",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail=detail,
    )
    return user


def _locked_message(until: datetime) -> str:
    return f"登录失败次数过多，账号已锁定，请于 {_fmt_beijing(until)}（北京时间）后再试"


def _signer(settings: Settings) -> Signer:
    return Signer(settings.resolved_secret_key(), salt=SESSION_SALT)


@use_case
def _login_web(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    ip: str,
) -> tuple[Actor, str, str] | DomainError:
    result = _authenticate(
        session,
        username=username,
        password=password,
        now=now,
        settings=settings,
        ip=ip,
        channel="web",
    )
    if isinstance(result, DomainError):
        return result
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    web_session = WebSession(
        session_hash=sha256_hex(raw),
        user_id=result.id,
        csrf_token=csrf,
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
        last_seen_at=now,
    )
    session.add(web_session)
    session.flush()
    cookie = _signer(settings).sign(raw).decode("ascii")
    return build_actor(session, result), cookie, csrf


def login(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    ip: str = "",
) -> tuple[Actor, str, str]:
    """Log in on the web: returns the actor, the signed session cookie value and the CSRF
    token. Raises Unauthenticated (bad username or password) or Locked (too many failures;
    the message says until when, in Beijing time). Failures are committed and audited."""
    result = _login_web(
        session, username=username, password=password, now=now, settings=settings, ip=ip
    )
    if isinstance(result, DomainError):
        raise result
    return result


@use_case
def _login_token(
    session: Session,
    *,
    username: str,
    password: str,
    token_name: str,
    now: datetime,
    settings: Settings,
    ip: str,
    expires_at: datetime | None,
) -> tuple[Actor, ApiToken, str] | DomainError:
    result = _authenticate(
        session,
        username=username,
        password=password,
        now=now,
        settings=settings,
        ip=ip,
        channel="api",
    )
    if isinstance(result, DomainError):
        return result
    actor = build_actor(session, result)
    token, plain = new_token(
        session, user=result, name=token_name, actor=actor, now=now, expires_at=expires_at
    )
    return actor, token, plain


def login_for_token(
    session: Session,
    *,
    username: str,
    password: str,
    token_name: str,
    now: datetime,
    settings: Settings,
    ip: str = "",
    expires_at: datetime | None = None,
) -> tuple[Actor, ApiToken, str]:
    """Exchange a username and password for a new API token (same lockout rule as the web
    login). Raises Unauthenticated, Locked or Invalid (bad token name or expiry)."""
    if not token_name.strip():
        raise Invalid("令牌名称不能为空")
    result = _login_token(
        session,
        username=username,
        password=password,
        token_name=token_name,
        now=now,
        settings=settings,
        ip=ip,
        expires_at=expires_at,
    )
    if isinstance(result, DomainError):
        raise result
    return result


def _find_web_session(session: Session, cookie_value: str, settings: Settings) -> WebSession:
    try:
        raw = _signer(settings).unsign(cookie_value).decode("ascii")
    except (BadSignature, UnicodeDecodeError) as exc:
        raise Unauthenticated("登录信息无效，请重新登录") from exc
    row = session.scalar(select(WebSession).where(WebSession.session_hash == sha256_hex(raw)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("登录已失效，请重新登录")
    return row


def actor_for_session(
    session: Session, *, cookie_value: str, now: datetime, settings: Settings
) -> tuple[Actor, str]:
    """The actor and CSRF token of a web session cookie. Enforces the absolute expiry
    (``session_hours``) and the idle timeout (``session_idle_minutes``, 等保 2.0 会话超时).
    Raises Unauthenticated.

    Reads inside the caller's transaction, like the bearer-token check. ``last_seen_at`` is
    written only when it is a minute old or more, and that write is committed at once in a
    short transaction of its own (:func:`_record_session_seen`), so that a user who only reads
    pages stays logged in (a read-only request's transaction is rolled back). Must not be
    called inside a use case.
    """
    row = _find_web_session(session, cookie_value, settings)
    if now >= row.expires_at:
        raise Unauthenticated("登录已过期，请重新登录")
    if now - row.last_seen_at >= timedelta(minutes=settings.session_idle_minutes):
        raise Unauthenticated("长时间未操作，登录已超时，请重新登录")
    user = load_user(session, row.user_id)
    if not user.is_active:
        raise Unauthenticated("账号已停用")
    actor, csrf = build_actor(session, user), row.csrf_token
    if now - row.last_seen_at >= _LAST_SEEN_GRANULARITY:
        _record_session_seen(session, web_session_id=row.id, now=now)
    return actor, csrf


@use_case
def _record_session_seen(session: Session, *, web_session_id: int, now: datetime) -> None:
    """Set the web session's ``last_seen_at`` (committed by the decorator; the row already
    loaded in the session is updated too)."""
    session.execute(
        update(WebSession).where(WebSession.id == web_session_id).values(last_seen_at=now)
    )


@use_case
def logout(session: Session, *, cookie_value: str, now: datetime, settings: Settings) -> None:
    """End a web session (revokes it server-side). Raises Unauthenticated for an unknown or
    already ended session."""
    row = _find_web_session(session, cookie_value, settings)
    row.revoked_at = now
    user = load_user(session, row.user_id)
    record(
        session,
        actor=audit_actor(user),
        action="auth.logout",
        subject_type="web_session",
        subject_id=row.id,
        now=now,
    )


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
