"""API tokens: issued once in plain text, stored as SHA-256 hashes, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, User
from civicgrid.auth.roles import Role
from civicgrid.auth.service.users import (
    build_actor,
    load_user,
)
from civicgrid.db import use_case
from civicgrid.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)

TOKEN_PREFIX = "cgt_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
# last_used_at is refreshed at most once a minute so that API reads do not all become writes.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_token(
    session: Session,
    *,
    user: User,
    name: str,
    actor: Actor,
    now: datetime,
    expires_at: datetime | None,
) -> tuple[ApiToken, str]:
    """Create a token row and its audit entry. Joins the caller's transaction."""
    name = name.strip()
    if not name:
        raise Invalid("令牌名称不能为空")
    if len(name) > 100:
        raise Invalid("令牌名称不能超过 100 个字符")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("过期时间必须带时区")
        if expires_at <= now:
            raise Invalid("过期时间必须晚于当前时间")
    if not user.is_active:
        raise Invalid(f"用户 {user.username} 已停用，不能签发令牌")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_prefix=plain[:12],
        token_hash=sha256_hex(plain),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor=actor,
        action="token.issue",
        subject_type="api_token",
        subject_id=token.id,
        now=now,
        detail={
            "user_id": user.id,
            "name": name,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, plain


@use_case
def issue_token(
    session: Session,
    *,
    user_id: int,
    name: str,
    actor: Actor,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue an API token for a user (the user themself or an admin). The plain token is
    returned once; only its SHA-256 hash is stored. Raises NotFound, Forbidden, Invalid."""
    if actor.user_id != user_id and not actor.has_role(Role.ADMIN):
        raise Forbidden("只能为自己签发令牌")
    user = load_user(session, user_id)
    return new_token(session, user=user, name=name, actor=actor, now=now, expires_at=expires_at)


@use_case
def revoke_token(session: Session, *, token_id: int, actor: Actor, now: datetime) -> ApiToken:
    """Revoke a token of the actor (an admin may revoke anyone's). Another user's token is
    reported as NotFound. Raises NotFound, Conflict (already revoked)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.has_role(Role.ADMIN)):
        raise NotFound(f"令牌 {token_id} 不存在")
    if token.revoked_at is not None:
        raise Conflict("该令牌已撤销")
    token.revoked_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="token.revoke",
        subject_type="api_token",
        subject_id=token.id,
        now=now,
        detail={"user_id": token.user_id, "name": token.name},
    )
    return token


def list_tokens(session: Session, *, user_id: int) -> Sequence[ApiToken]:
    """A user's tokens, newest first (revoked and expired ones included)."""
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    ).all()


@use_case
def actor_for_token(session: Session, *, token: str, now: datetime) -> Actor:
    """The actor behind a bearer token; refreshes ``last_used_at``. Raises Unauthenticated
    when the token is unknown, revoked or expired, or its user is inactive."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(token)))
    if row is None:
        raise Unauthenticated("令牌无效")
    if row.revoked_at is not None:
        raise Unauthenticated("令牌已撤销")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("令牌已过期")
    user = load_user(session, row.user_id)
    if not user.is_active:
        raise Unauthenticated("账号已停用")
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_GRANULARITY:
        row.last_used_at = now
    return build_actor(session, user)
