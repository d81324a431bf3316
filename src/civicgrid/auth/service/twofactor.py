"""TOTP two-factor authentication (RFC 6238): enrolment, the login check, recovery codes.

The secret is stored encrypted under the field key (``kit.crypto``); recovery codes are stored
as SHA-256 hashes and work once each. Enrolment is two steps: ``start_totp`` stores a new
secret (not yet in force) and returns it with its ``otpauth://`` URI; ``confirm_totp`` checks
the first code from the app, puts 2FA in force and returns fresh recovery codes (shown once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth import totp
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import RecoveryCode, User
from civicgrid.auth.passwords import verify_password
from civicgrid.auth.service.users import load_user, require_admin
from civicgrid.config import Settings
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.kit.crypto import FieldCipher

OTP_MISSING = "otp_missing"
OTP_WRONG = "otp_wrong"


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A started enrolment: the secret to type in or the URI to scan."""

    secret: str
    uri: str


def _cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(settings.resolved_field_key())


def _require_self(actor: Actor, user_id: int) -> None:
    if actor.user_id != user_id:
        raise Forbidden("只能为自己的账号设置两步验证")


def _new_codes(session: Session, user: User, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=totp.recovery_code_hash(c), created_at=now)
        for c in codes
    )
    session.flush()
    return codes


@use_case
def start_totp(
    session: Session, *, user_id: int, actor: Actor, now: datetime, settings: Settings
) -> TotpEnrolment:
    """Begin enrolling the actor's own account (a new secret replaces an unconfirmed one).
    Raises Forbidden (another user's account), Conflict (2FA already in force)."""
    _require_self(actor, user_id)
    user = load_user(session, user_id)
    if user.totp_enabled_at is not None:
        raise Conflict("两步验证已启用；如需更换设备，请先停用再重新绑定")
    secret = totp.new_secret()
    user.totp_secret = _cipher(settings).encrypt(secret)
    user.totp_last_step = None
    record(
        session,
        actor=actor,
        action="auth.totp_start",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )
    return TotpEnrolment(secret=secret, uri=totp.provisioning_uri(secret, user.username))


@use_case
def confirm_totp(
    session: Session,
    *,
    user_id: int,
    code: str,
    actor: Actor,
    now: datetime,
    settings: Settings,
) -> list[str]:
    """Put 2FA in force with the first code from the authenticator; returns ten recovery
    codes (shown once). Raises Forbidden, Conflict (already in force or not started), Invalid
    (wrong code)."""
    _require_self(actor, user_id)
    user = load_user(session, user_id)
    if user.totp_enabled_at is not None:
        raise Conflict("两步验证已启用")
    if user.totp_secret is None:
        raise Conflict("请先开始绑定两步验证")
    secret = _cipher(settings).decrypt(user.totp_secret)
    step = totp.matching_step(secret, code, now=now, last_step=None)
    if step is None:
        raise Invalid("动态口令不正确，请核对手机时间后输入验证器中当前显示的 6 位数字")
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = _new_codes(session, user, now)
    record(
        session,
        actor=actor,
        action="auth.totp_enable",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )
    return codes


@use_case
def disable_totp(
    session: Session, *, user_id: int, password: str, actor: Actor, now: datetime
) -> None:
    """Turn 2FA off for the actor's own account (the password confirms it). Raises Forbidden,
    Invalid (wrong password), Conflict (not in force)."""
    _require_self(actor, user_id)
    user = load_user(session, user_id)
    if not verify_password(password, user.password_hash):
        raise Invalid("当前密码不正确")
    _clear(session, user)
    record(
        session,
        actor=actor,
        action="auth.totp_disable",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )


@use_case
def reset_totp(session: Session, *, user_id: int, actor: Actor, now: datetime) -> None:
    """An administrator removes a user's 2FA (a lost phone); the user enrols again. Raises
    Forbidden, NotFound, Conflict (not in force)."""
    require_admin(actor)
    user = load_user(session, user_id)
    _clear(session, user)
    record(
        session,
        actor=actor,
        action="auth.totp_reset",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )


def _clear(session: Session, user: User) -> None:
    if user.totp_enabled_at is None and user.totp_secret is None:
        raise Conflict("该账号未启用两步验证")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


@use_case
def regenerate_recovery_codes(
    session: Session, *, user_id: int, password: str, actor: Actor, now: datetime
) -> list[str]:
    """Replace the actor's recovery codes with ten new ones (the old ones stop working).
    Raises Forbidden, Invalid (wrong password), Conflict (2FA not in force)."""
    _require_self(actor, user_id)
    user = load_user(session, user_id)
    if user.totp_enabled_at is None:
        raise Conflict("该账号未启用两步验证")
    if not verify_password(password, user.password_hash):
        raise Invalid("当前密码不正确")
    codes = _new_codes(session, user, now)
    record(
        session,
        actor=actor,
        action="auth.recovery_codes",
        subject_type="user",
        subject_id=user.id,
        now=now,
    )
    return codes


def pending_totp(session: Session, *, user_id: int, settings: Settings) -> TotpEnrolment | None:
    """The enrolment the user started and has not confirmed yet (to show the secret again on
    the account page), or None. Reads only."""
    user = load_user(session, user_id)
    if user.totp_secret is None or user.totp_enabled_at is not None:
        return None
    secret = _cipher(settings).decrypt(user.totp_secret)
    return TotpEnrolment(secret=secret, uri=totp.provisioning_uri(secret, user.username))


def unused_recovery_codes(session: Session, *, user_id: int) -> int:
    """How many recovery codes the user has left."""
    rows = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return len(rows)


def second_factor_problem(
    session: Session, *, user: User, otp: str, now: datetime, settings: Settings
) -> str | None:
    """Check the second factor of a login whose password was right: None when the user has no
    2FA or ``otp`` is a current TOTP code or an unused recovery code (which is then spent);
    else ``OTP_MISSING`` or ``OTP_WRONG``. Joins the caller's transaction."""
    if user.totp_enabled_at is None or user.totp_secret is None:
        return None
    otp = otp.strip()
    if not otp:
        return OTP_MISSING
    if totp.is_code_format(otp):
        secret = _cipher(settings).decrypt(user.totp_secret)
        step = totp.matching_step(secret, otp, now=now, last_step=user.totp_last_step)
        if step is None:
            return OTP_WRONG
        user.totp_last_step = step
        return None
    normalised = totp.normalise_recovery_code(otp)
    if normalised is None:
        return OTP_WRONG
    code = session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.recovery_code_hash(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if code is None:
        return OTP_WRONG
    code.used_at = now
    return None
