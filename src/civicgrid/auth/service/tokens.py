"""API tokens: issued once in plain text, stored as SHA-256 hashes, expiring and revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import ApiToken, Post, User
from civicgrid.auth.roles import Role
from civicgrid.auth.service.users import (
    PostAnchor,
    assemble_actor,
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
from civicgrid.territory.queries import region_path_of

TOKEN_PREFIX = "cgt_"  # noqa: S105 - a marker that makes leaked tokens greppable, not a secret
# The default and longest lifetime of a token when the caller passes no settings.
DEFAULT_TOKEN_DAYS = 90
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
    max_days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Create a token row and its audit entry: it expires at ``expires_at``, which may be at
    most ``max_days`` away, or after ``max_days`` when none is given. Joins the caller's
    transaction."""
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
        if expires_at > now + timedelta(days=max_days):
            raise Invalid(f"令牌有效期最长 {max_days} 天")
    else:
        expires_at = now + timedelta(days=max_days)
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
            "expires_at": expires_at.isoformat(),
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
    max_days: int = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Issue an API token for a user (the user themself or an admin), expiring after
    ``max_days`` at most (``settings.token_days`` at the edges). The plain token is returned
    once; only its SHA-256 hash is stored. Raises NotFound, Forbidden, Invalid."""
    if actor.user_id != user_id and not actor.has_role(Role.ADMIN):
        raise Forbidden("只能为自己签发令牌")
    user = load_user(session, user_id)
    return new_token(
        session,
        user=user,
        name=name,
        actor=actor,
        now=now,
        expires_at=expires_at,
        max_days=max_days,
    )


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


# The bearer-token check of every API request: the token, its user, the user's posts and the
# region paths of region posts in one statement (a user without posts gives one row with NULL
# post columns). Built once.
_TOKEN_CHECK = (
    select(
        ApiToken.id,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        User.id,
        User.username,
        User.display_name,
        User.is_active,
        User.locked_until,
        Post.id,
        Post.role,
        Post.region_id,
        Post.department_id,
        Post.utility_id,
        region_path_of(Post.region_id),
    )
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Post, Post.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def actor_for_token(session: Session, *, token: str, now: datetime) -> Actor:
    """The actor behind a bearer token. Raises Unauthenticated when the token is unknown,
    revoked or expired, or its user is inactive or locked by an administrator.

    The check reads inside the caller's transaction, so an API request authenticates in its
    own unit of work: one statement for the token, its user, the user's posts and their region
    paths. ``last_used_at`` is written only when it is a minute old
    or more, and that write is committed at once in a short transaction of its own
    (:func:`_record_token_use`) so that it sticks for read-only requests too (their
    transaction is rolled back). Must not be called inside a use case.
    """
    rows = session.execute(_TOKEN_CHECK, {"token_hash": sha256_hex(token)}).all()
    if not rows:
        raise Unauthenticated("令牌无效")
    first = rows[0]
    token_id, revoked_at, expires_at, last_used_at, user_id, username, name, active = first[:8]
    locked_until: datetime | None = first[8]
    if revoked_at is not None:
        raise Unauthenticated("令牌已撤销")
    if expires_at is not None and expires_at <= now:
        raise Unauthenticated("令牌已过期")
    if not active:
        raise Unauthenticated("账号已停用")
    if locked_until is not None and now < locked_until:
        raise Unauthenticated("账号已被管理员锁定")
    posts = []
    paths: dict[int, str] = {}
    for r in rows:
        post_id: int | None = r[9]  # None: a user without posts (outer join)
        if post_id is not None:
            posts.append(PostAnchor(post_id, r[10], r[11], r[12], r[13]))
            if r[11] is not None and r[14] is not None:
                paths[r[11]] = r[14]
    actor = assemble_actor(
        session, user_id=user_id, username=username, display_name=name, posts=posts, paths=paths
    )
    if last_used_at is None or now - last_used_at >= _LAST_USED_GRANULARITY:
        _record_token_use(session, token_id=token_id, now=now)
    return actor


@use_case
def _record_token_use(session: Session, *, token_id: int, now: datetime) -> None:
    """Set the token's ``last_used_at`` (committed by the decorator; rows of the token already
    loaded in the session are updated too)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
