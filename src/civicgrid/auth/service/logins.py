"""Logins (password, then the TOTP code when 2FA is in force) and web sessions with idle
timeout and absolute expiry.

An unknown username, a wrong password, a locked address or account and a deactivated account
all get the same answer (401, :data:`BAD_CREDENTIALS`) after the same work (one argon2
verification), so the answer tells nothing about which accounts exist. Failures lock only the
pair (username, client address) (:mod:`locks`); per-address and per-account throttling at the
edges bounds guessing from many addresses.

Failed logins are audited too: those use cases return the refusal instead of raising it, so
that the failure count and the audit row are committed, and the thin public wrappers
(:func:`login`, :func:`login_for_token`) raise it afterwards.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import PENDING_PASSWORD_CHANGE, PENDING_TOTP_ENROLMENT, Actor
from civicgrid.auth.models import ApiToken, User, WebSession
from civicgrid.auth.passwords import (
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from civicgrid.auth.service import locks, twofactor
from civicgrid.auth.service.tokens import new_token, sha256_hex
from civicgrid.auth.service.users import (
    audit_actor,
    build_actor,
    load_user,
)
from civicgrid.config import Settings
from civicgrid.db import use_case
from civicgrid.errors import DomainError, Forbidden, Invalid, Unauthenticated

SESSION_SALT = "civicgrid.web-session"
# last_seen_at is refreshed at most once a minute, so that reading pages does not turn every
# request into a write; the idle timeout is counted in minutes anyway.
_LAST_SEEN_GRANULARITY = timedelta(minutes=1)

BAD_CREDENTIALS = "用户名或密码错误（连续多次失败后需等待一段时间再试）"
OTP_REQUIRED = "请输入两步验证动态口令（或一个恢复码）"
OTP_WRONG = "动态口令不正确或已使用过，请输入验证器中当前显示的 6 位数字"
# Refusals that count towards the (username, address) lock: guesses of a secret.
_COUNTED = frozenset({"unknown_user", "wrong_password", twofactor.OTP_WRONG})


class SecondFactorRequired(Unauthenticated):
    """The password was right; the account has 2FA and the login lacked its code (401).

    ``ticket`` (signed, valid for :data:`TICKET_SECONDS`) lets the web login ask for the code
    on a second page without carrying the password along (:func:`login_second_factor`)."""

    def __init__(self, message: str, *, ticket: str) -> None:
        super().__init__(message)
        self.ticket = ticket


TICKET_SALT = "civicgrid.second-factor"
TICKET_SECONDS = 300


def _ticket(user: User, now: datetime, settings: Settings) -> str:
    # The tail of the password hash ties the ticket to the password it proved.
    payload = f"{user.id}:{int(now.timestamp())}:{user.password_hash[-16:]}"
    return Signer(settings.resolved_secret_key(), salt=TICKET_SALT).sign(payload).decode("ascii")


def _user_of_ticket(
    session: Session, ticket: str, now: datetime, settings: Settings
) -> User | None:
    """The user a second-factor ticket was issued to, while it is fresh and the password has
    not changed since; None otherwise."""
    try:
        payload = Signer(settings.resolved_secret_key(), salt=TICKET_SALT).unsign(ticket)
        user_id, issued, tail = payload.decode("ascii").split(":", 2)
        age = now.timestamp() - int(issued)
        user = session.get(User, int(user_id), with_for_update=True)
    except (BadSignature, UnicodeDecodeError, ValueError):
        return None
    if user is None or not 0 <= age <= TICKET_SECONDS or user.password_hash[-16:] != tail:
        return None
    return user


def _unknown_actor(username: str) -> Actor:
    return Actor(user_id=None, username=username[:64] or "-", display_name="未知用户")


def _password_problem(password_hash: str | None, password: str, *, locked_here: bool) -> str | None:
    """Why the password does not log in (a reason code), or None. Every path spends one
    argon2 verification, so the time does not tell the reasons apart."""
    if password_hash is None:
        verify_dummy(password)
        return "unknown_user"
    if locked_here:
        verify_dummy(password)
        return "locked"
    if not verify_password(password, password_hash):
        return "wrong_password"
    return None


def _account_problem(user: User, now: datetime) -> str | None:
    """Why an account may not log in whatever the credentials (deactivated, locked by an
    administrator), or None."""
    if not user.is_active:
        return "inactive"
    if user.locked_until is not None and now < user.locked_until:
        return "account_locked"
    return None


def _refuse(
    session: Session,
    *,
    user: User | None,
    username: str,
    reason: str,
    now: datetime,
    settings: Settings,
    detail: dict[str, str],
) -> DomainError:
    """Count the failure (guesses only), audit it and return the answer to raise."""
    who = audit_actor(user) if user is not None else _unknown_actor(username)
    subject_id = user.id if user is not None else ""
    counted = reason in _COUNTED
    record(
        session,
        actor=who,
        action="auth.login",
        subject_type="user",
        subject_id=subject_id,
        now=now,
        outcome="failure" if counted else "denied",
        reason=reason,
        detail=detail,
    )
    if counted:
        until = locks.count_failure(
            session, username=username, ip=detail["ip"], now=now, settings=settings
        )
        if until is not None:
            record(
                session,
                actor=who,
                action="auth.lockout",
                subject_type="user",
                subject_id=subject_id,
                now=now,
                outcome="denied",
                reason=f"{settings.lockout_threshold} failed logins from one address",
                detail={**detail, "locked_until": until.isoformat()},
            )
    session.flush()
    if reason == twofactor.OTP_MISSING and user is not None:
        return SecondFactorRequired(OTP_REQUIRED, ticket=_ticket(user, now, settings))
    if reason == twofactor.OTP_WRONG:
        return Unauthenticated(OTP_WRONG)
    return Unauthenticated(BAD_CREDENTIALS)


def _authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    otp: str,
    now: datetime,
    settings: Settings,
    ip: str,
    channel: str,
) -> User | DomainError:
    """Check a username, password and (with 2FA) the one-time code. Writes the failure count
    of the (username, address) pair and the audit rows; returns the user or the error to
    raise after commit. Ends whatever transaction ``session`` had open (a read) before the
    password check, then writes in the caller's (the use case's) new transaction.

    The argon2 work runs outside any transaction: under the row locks, logins to one account
    (a shared duty account, or a user on two devices) or after a failure from one address would
    wait for each other's verification one after the other, and each would hold a pooled
    connection meanwhile. The rows are then locked and read afresh for the writes (rehash, last
    login, second factor, failure count)."""
    username = username.strip()
    detail = {"channel": channel, "ip": ip}
    # 1. Read what the password check needs, then end that read: the argon2 work (the check,
    # and a rehash to the current parameters) then holds neither a row lock nor a pooled
    # connection, so logins to one account or from one address never queue behind one
    # another's hash, and a burst of logins does not take the pool's connections.
    was_locked = locks.locked_now(session, username=username, ip=ip, now=now)
    checked = session.execute(
        select(User.id, User.password_hash).where(User.username == username)
    ).one_or_none()
    checked_hash: str | None = None if checked is None else checked.password_hash
    session.rollback()
    reason = _password_problem(checked_hash, password, locked_here=was_locked)
    rehashed = (
        hash_password(password)
        if reason is None and checked_hash is not None and needs_rehash(checked_hash)
        else None
    )
    # 2. The writes: the pair's failure row and the user row are locked and read afresh. If
    # the hash changed in between (a password change, or a concurrent login's rehash), the
    # password is checked again against the hash under the lock (rare).
    lock = locks.current_lock(session, username=username, ip=ip, now=now, settings=settings)
    locked_here = locks.is_locked(lock, now)
    user = None
    if checked is not None:
        user = session.scalar(select(User).where(User.id == checked.id).with_for_update())
    if user is not None and user.password_hash != checked_hash:
        reason = _password_problem(user.password_hash, password, locked_here=locked_here)
        rehashed = None
    elif reason is None and locked_here:
        reason = "locked"
    if reason is None and user is None:
        reason = "unknown_user"
    if reason is None and user is not None:
        reason = _account_problem(user, now)
    if reason is None and user is not None:
        reason = twofactor.second_factor_problem(
            session, user=user, otp=otp, now=now, settings=settings
        )
    if reason is not None or user is None:
        return _refuse(
            session,
            user=user,
            username=username,
            reason=reason or "unknown_user",
            now=now,
            settings=settings,
            detail=detail,
        )
    if rehashed is not None:
        user.password_hash = rehashed
    _accept(session, user=user, now=now, detail=detail)
    return user


def _accept(session: Session, *, user: User, now: datetime, detail: dict[str, str]) -> None:
    """A successful login: forget the address's failures, stamp and audit it."""
    locks.clear_address(session, username=user.username, ip=detail["ip"])
    user.last_login_at = now
    record(
        session,
        actor=audit_actor(user),
        action="auth.login",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail=detail,
    )


def pending_actions(user: User, actor: Actor, settings: Settings) -> frozenset[str]:
    """What the user must do before anything else: change a reset password, or enrol in 2FA
    when one of their roles requires it (``settings.totp_required_roles``)."""
    pending: set[str] = set()
    if user.must_change_password:
        pending.add(PENDING_PASSWORD_CHANGE)
    required = settings.totp_roles
    if user.totp_enabled_at is None and any(r.value in required for r in actor.roles):
        pending.add(PENDING_TOTP_ENROLMENT)
    return frozenset(pending)


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
    otp: str,
) -> tuple[Actor, str, str] | DomainError:
    result = _authenticate(
        session,
        username=username,
        password=password,
        otp=otp,
        now=now,
        settings=settings,
        ip=ip,
        channel="web",
    )
    if isinstance(result, DomainError):
        return result
    return _open_web_session(session, user=result, now=now, settings=settings)


def _open_web_session(
    session: Session, *, user: User, now: datetime, settings: Settings
) -> tuple[Actor, str, str]:
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    web_session = WebSession(
        session_hash=sha256_hex(raw),
        user_id=user.id,
        csrf_token=csrf,
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
        last_seen_at=now,
    )
    session.add(web_session)
    session.flush()
    cookie = _signer(settings).sign(raw).decode("ascii")
    return build_actor(session, user), cookie, csrf


def login(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    settings: Settings,
    ip: str = "",
    otp: str = "",
) -> tuple[Actor, str, str]:
    """Log in on the web: returns the actor, the signed session cookie value and the CSRF
    token. Raises Unauthenticated with one message for an unknown user, a wrong password, a
    locked address or account and a deactivated account; SecondFactorRequired (a subclass)
    when the password was right and the 2FA code is missing. The session may carry pending
    actions (a forced password change, 2FA enrolment; :func:`actor_for_session`). Failures are
    committed and audited."""
    result = _login_web(
        session,
        username=username,
        password=password,
        now=now,
        settings=settings,
        ip=ip,
        otp=otp,
    )
    if isinstance(result, DomainError):
        raise result
    return result


@use_case
def _login_second_step(
    session: Session, *, ticket: str, otp: str, now: datetime, settings: Settings, ip: str
) -> tuple[Actor, str, str] | DomainError:
    user = _user_of_ticket(session, ticket, now, settings)
    if user is None:
        return Unauthenticated("登录已超时，请重新输入用户名和密码")
    detail = {"channel": "web", "ip": ip}
    lock = locks.current_lock(session, username=user.username, ip=ip, now=now, settings=settings)
    # The ticket stands for the password; the address lock and the account state are checked
    # again (they may have changed since the first step).
    reason = "locked" if locks.is_locked(lock, now) else _account_problem(user, now)
    if reason is None:
        reason = twofactor.second_factor_problem(
            session, user=user, otp=otp, now=now, settings=settings
        )
    if reason is not None:
        return _refuse(
            session,
            user=user,
            username=user.username,
            reason=reason,
            now=now,
            settings=settings,
            detail=detail,
        )
    _accept(session, user=user, now=now, detail=detail)
    return _open_web_session(session, user=user, now=now, settings=settings)


def login_second_factor(
    session: Session, *, ticket: str, otp: str, now: datetime, settings: Settings, ip: str = ""
) -> tuple[Actor, str, str]:
    """The second step of a web login with 2FA: the ticket of :class:`SecondFactorRequired`
    and the code (or a recovery code). Returns what :func:`login` returns; raises
    Unauthenticated (expired ticket, wrong code, locked address or account)."""
    result = _login_second_step(session, ticket=ticket, otp=otp, now=now, settings=settings, ip=ip)
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
    otp: str,
    expires_at: datetime | None,
) -> tuple[Actor, ApiToken, str] | DomainError:
    result = _authenticate(
        session,
        username=username,
        password=password,
        otp=otp,
        now=now,
        settings=settings,
        ip=ip,
        channel="api",
    )
    if isinstance(result, DomainError):
        return result
    actor = build_actor(session, result)
    if pending_actions(result, actor, settings):
        record(
            session,
            actor=actor,
            action="auth.token_refused",
            subject_type="user",
            subject_id=result.id,
            now=now,
            outcome="denied",
            reason="pending account actions",
        )
        return Forbidden("请先登录网页完成账号安全设置（修改初始密码或启用两步验证）后再申请令牌")
    token, plain = new_token(
        session,
        user=result,
        name=token_name,
        actor=actor,
        now=now,
        expires_at=expires_at,
        max_days=settings.token_days,
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
    otp: str = "",
    expires_at: datetime | None = None,
) -> tuple[Actor, ApiToken, str]:
    """Exchange a username and password (and the 2FA code) for a new API token expiring
    after ``settings.token_days`` at most; same answers and address lock as the web login.
    Raises Unauthenticated, SecondFactorRequired, Forbidden (a forced password change or a
    required 2FA enrolment is pending) or Invalid (bad token name or expiry)."""
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
        otp=otp,
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
    (``session_hours``) and the idle timeout (``session_idle_minutes``, 等保 2.0 会话超时);
    a deactivated or locked account fails. The actor carries the user's pending actions
    (:func:`pending_actions`). Raises Unauthenticated.

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
    if user.locked_until is not None and now < user.locked_until:
        raise Unauthenticated("账号已被管理员锁定")
    actor, csrf = build_actor(session, user), row.csrf_token
    pending = pending_actions(user, actor, settings)
    if pending:
        actor = dataclasses.replace(actor, pending=pending)
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


def session_hash_of_cookie(cookie_value: str, settings: Settings) -> str | None:
    """The stored hash of the session behind a cookie (None for a bad signature): lets the
    session list mark the current one and revoke-all keep it."""
    try:
        raw = _signer(settings).unsign(cookie_value).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None
    return sha256_hex(raw)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
