"""Accounts: creating and loading users, and building a user's actor (roles + data scope).

Use cases commit (``@use_case``); the helpers here are joiners that other service modules
share and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor, PostRef
from civicgrid.auth.models import User
from civicgrid.auth.passwords import (
    hash_password,
    password_problems,
)
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import EMPTY_SCOPE, GLOBAL_SCOPE, DataScope, merge_scopes
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.territory.queries import region_paths

USERNAME_RE = re.compile(r"^[\w.@-]{2,64}$")


def require_admin(actor: Actor) -> None:
    """Refuse (Forbidden) unless the actor holds the admin role."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有系统管理员可以管理账号和岗位")


def load_user(session: Session, user_id: int) -> User:
    """The user with this id; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


def audit_actor(user: User) -> Actor:
    """A minimal actor for audit rows written about a user (roles and scope not needed)."""
    return Actor(user_id=user.id, username=user.username, display_name=user.display_name)


@dataclass(frozen=True, slots=True)
class PostAnchor:
    """What an actor is built from, per post: its role and where it is anchored."""

    id: int
    role: str
    region_id: int | None
    department_id: int | None
    utility_id: int | None


def _post_scope(post: PostAnchor, paths: Mapping[int, str]) -> DataScope:
    if post.region_id is not None:
        path = paths.get(post.region_id)
        return DataScope(region_paths=frozenset({path})) if path else EMPTY_SCOPE
    if post.department_id is not None:
        return DataScope(department_ids=frozenset({post.department_id}))
    if post.utility_id is not None:
        return DataScope(utility_ids=frozenset({post.utility_id}))
    if post.role == Role.ADMIN:
        return GLOBAL_SCOPE
    return EMPTY_SCOPE


def build_actor(session: Session, user: User) -> Actor:
    """The actor for a loaded user: roles and the data scope merged from all posts.

    A post at a region sees that region and its descendants; a department or utility post
    sees that unit; an admin post without an anchor sees everything.
    """
    return assemble_actor(
        session,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        posts=[
            PostAnchor(p.id, p.role, p.region_id, p.department_id, p.utility_id) for p in user.posts
        ],
    )


def assemble_actor(
    session: Session,
    *,
    user_id: int,
    username: str,
    display_name: str,
    posts: Iterable[PostAnchor],
    paths: Mapping[int, str] | None = None,
) -> Actor:
    """The actor of a user from their posts (see :func:`build_actor`); reads the region
    paths of region posts (one statement, none without such posts) unless the caller read
    them already (``paths``: region id → path)."""
    ordered = sorted(posts, key=lambda p: p.id)
    if paths is None:
        paths = region_paths(session, [p.region_id for p in ordered if p.region_id is not None])
    refs = tuple(
        PostRef(
            post_id=p.id,
            role=Role(p.role),
            region_id=p.region_id,
            region_path=paths.get(p.region_id) if p.region_id is not None else None,
            department_id=p.department_id,
            utility_id=p.utility_id,
        )
        for p in ordered
    )
    return Actor(
        user_id=user_id,
        username=username,
        display_name=display_name,
        roles=frozenset(Role(p.role) for p in ordered),
        scope=merge_scopes(_post_scope(p, paths) for p in ordered),
        posts=refs,
    )


def actor_for_user(session: Session, user_id: int) -> Actor:
    """The actor of a user (roles and data scope from the posts). Raises NotFound."""
    return build_actor(session, load_user(session, user_id))


@use_case
def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    actor: Actor,
    now: datetime,
) -> User:
    """Create an account (admin only). Raises Invalid (bad username, name or weak password),
    Conflict (username taken), Forbidden (actor is no admin)."""
    return new_user(
        session,
        username=username,
        display_name=display_name,
        password=password,
        actor=actor,
        now=now,
    )


def new_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    actor: Actor,
    now: datetime,
) -> User:
    """Validate and insert a user with its audit row. Joins the caller's transaction."""
    require_admin(actor)
    username = username.strip()
    display_name = display_name.strip()
    problems: list[str] = []
    if not USERNAME_RE.match(username):
        problems.append("用户名须为 2–64 个字母、数字、下划线、点、@ 或连字符")
    if not display_name:
        problems.append("姓名不能为空")
    elif len(display_name) > 100:
        problems.append("姓名不能超过 100 个字符")
    problems.extend(password_problems(password, username=username))
    if problems:
        raise Invalid("；".join(problems), detail=problems)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已被使用")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="user.create",
        subject_type="user",
        subject_id=user.id,
        now=now,
        detail={"username": username, "display_name": display_name},
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    """One user by id. Raises NotFound."""
    return load_user(session, user_id)


def list_users(session: Session, *, actor: Actor, limit: int = 500) -> Sequence[User]:
    """Accounts ordered by username (admin only)."""
    require_admin(actor)
    return session.scalars(select(User).order_by(User.username).limit(limit)).all()


def find_user_id(session: Session, username: str) -> int | None:
    """The id of the account with this username, or None."""
    return session.scalar(select(User.id).where(User.username == username.strip()))
