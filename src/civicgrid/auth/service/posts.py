"""Posts: which role a user holds at which region, department or utility (the source of the
data scope), and the names of those anchors for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.models import Post, User
from civicgrid.auth.roles import DEPARTMENT_ROLES, UTILITY_ROLES, Role, needs_anchor
from civicgrid.auth.service.users import (
    load_user,
    new_user,
    require_admin,
)
from civicgrid.db import use_case
from civicgrid.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
)
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.queries import (
    get_department_by_code,
    get_region_by_code,
    get_utility_by_code,
    region_paths,
    regions_by_ids,
)


def _check_anchor(
    session: Session,
    actor: Actor,
    role: Role,
    region_id: int | None,
    department_id: int | None,
    utility_id: int | None,
) -> None:
    """Refuse an anchor that does not fit the role, does not exist, is inactive or lies
    outside the acting admin's scope."""
    _check_anchor_kind(role, region_id, department_id, utility_id)
    if region_id is not None:
        _check_region(session, actor, region_id)
    elif department_id is not None:
        _check_department(session, actor, department_id)
    elif utility_id is not None:
        _check_utility(session, actor, utility_id)
    elif role == Role.ADMIN and not actor.scope.is_global:
        raise Forbidden("只有全局系统管理员可以设立全局管理员岗位")


def _check_anchor_kind(
    role: Role, region_id: int | None, department_id: int | None, utility_id: int | None
) -> None:
    anchors = [a for a in (region_id, department_id, utility_id) if a is not None]
    if len(anchors) > 1:
        raise Invalid("一个岗位只能设在一个区划、一个部门或一个公共服务企业")
    if role in DEPARTMENT_ROLES and department_id is None:
        raise Invalid(f"{role.label}岗位必须指定所属部门")
    if role in UTILITY_ROLES and utility_id is None:
        raise Invalid(f"{role.label}岗位必须指定所属公共服务企业")
    if department_id is not None and role not in DEPARTMENT_ROLES:
        raise Invalid(f"{role.label}岗位不能设在部门上")
    if utility_id is not None and role not in UTILITY_ROLES:
        raise Invalid(f"{role.label}岗位不能设在公共服务企业上")
    if not anchors and needs_anchor(role):
        raise Invalid(
            f"{role.label}岗位必须指定所属区划（或部门、公共服务企业）",
            detail={"field": "anchor"},
        )


def _check_region(session: Session, actor: Actor, region_id: int) -> None:
    region = regions_by_ids(session, [region_id]).get(region_id)
    if region is None:
        raise NotFound(f"区划 {region_id} 不存在")
    if not actor.scope.covers_path(region.path):
        raise Forbidden(f"区划「{region.name}」不在您的管理范围内")


def _check_department(session: Session, actor: Actor, department_id: int) -> None:
    department = territory_queries.find_department(session, department_id)
    if department is None:
        raise NotFound(f"部门 {department_id} 不存在")
    if not department.is_active:
        raise Invalid(f"部门「{department.name}」已停用")
    if not actor.scope.covers_department(department_id):
        raise Forbidden(f"部门「{department.name}」不在您的管理范围内")


def _check_utility(session: Session, actor: Actor, utility_id: int) -> None:
    utility = territory_queries.find_utility(session, utility_id)
    if utility is None:
        raise NotFound(f"公共服务企业 {utility_id} 不存在")
    if not utility.is_active:
        raise Invalid(f"公共服务企业「{utility.name}」已停用")
    if not actor.scope.covers_utility(utility_id):
        raise Forbidden(f"公共服务企业「{utility.name}」不在您的管理范围内")


@use_case
def add_post(
    session: Session,
    *,
    user_id: int,
    role: Role,
    region_id: int | None = None,
    department_id: int | None = None,
    utility_id: int | None = None,
    title: str = "",
    actor: Actor,
    now: datetime,
) -> Post:
    """Give a user a post: a role at a region, a department or a utility (admin only).

    A department handler needs a department and a utility handler a utility; other staff roles
    need a region (a post without an anchor is refused: it would see no territory); only an
    admin (global scope without a region) and a resident may stand without one. The anchor
    must lie inside the acting admin's scope. Raises NotFound (unknown user or anchor),
    Invalid (missing anchor, or one that does not fit the role), Conflict (same post twice),
    Forbidden.
    """
    return _new_post(
        session,
        user_id=user_id,
        role=role,
        region_id=region_id,
        department_id=department_id,
        utility_id=utility_id,
        title=title,
        actor=actor,
        now=now,
    )


def _new_post(
    session: Session,
    *,
    user_id: int,
    role: Role,
    region_id: int | None,
    department_id: int | None,
    utility_id: int | None,
    title: str,
    actor: Actor,
    now: datetime,
) -> Post:
    """Validate and insert a post with its audit row. Joins the caller's transaction."""
    require_admin(actor)
    role = Role(role)
    user = load_user(session, user_id)
    title = title.strip()
    if len(title) > 100:
        raise Invalid("岗位名称不能超过 100 个字符")
    _check_anchor(session, actor, role, region_id, department_id, utility_id)
    for existing in user.posts:
        if (existing.role, existing.region_id, existing.department_id, existing.utility_id) == (
            role.value,
            region_id,
            department_id,
            utility_id,
        ):
            raise Conflict(f"用户 {user.username} 已有相同的岗位")
    post = Post(
        user_id=user.id,
        role=role.value,
        region_id=region_id,
        department_id=department_id,
        utility_id=utility_id,
        title=title,
        created_at=now,
    )
    user.posts.append(post)
    session.flush()
    record(
        session,
        actor=actor,
        action="post.add",
        subject_type="post",
        subject_id=post.id,
        now=now,
        detail={
            "user_id": user.id,
            "role": role.value,
            "region_id": region_id,
            "department_id": department_id,
            "utility_id": utility_id,
            "title": title,
        },
    )
    return post


@use_case
def create_user_with_post(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    region_id: int | None = None,
    department_id: int | None = None,
    utility_id: int | None = None,
    title: str = "",
    actor: Actor,
    now: datetime,
) -> tuple[User, Post]:
    """Create an account together with its first post, in one transaction (the CLI and the
    builders use it). Raises what :func:`create_user` and :func:`add_post` raise."""
    user = new_user(
        session,
        username=username,
        display_name=display_name,
        password=password,
        actor=actor,
        now=now,
    )
    post = _new_post(
        session,
        user_id=user.id,
        role=role,
        region_id=region_id,
        department_id=department_id,
        utility_id=utility_id,
        title=title,
        actor=actor,
        now=now,
    )
    return user, post


@use_case
def remove_post(session: Session, *, post_id: int, actor: Actor, now: datetime) -> None:
    """Take a post away (admin only). The last global admin post cannot be removed. Raises
    NotFound, Forbidden, Conflict."""
    require_admin(actor)
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound(f"岗位 {post_id} 不存在")
    if post.region_id is not None:
        path = region_paths(session, [post.region_id]).get(post.region_id, "")
        if not actor.scope.covers_path(path):
            raise NotFound(f"岗位 {post_id} 不存在")
    elif not actor.scope.is_global and (
        post.department_id is not None or post.utility_id is not None or post.role == Role.ADMIN
    ):
        raise NotFound(f"岗位 {post_id} 不存在")
    if _is_global_admin_post(post):
        others = session.scalar(
            select(func.count(Post.id))
            .join(User, User.id == Post.user_id)
            .where(
                Post.role == Role.ADMIN.value,
                Post.region_id.is_(None),
                Post.department_id.is_(None),
                Post.utility_id.is_(None),
                Post.id != post.id,
                User.is_active.is_(True),
            )
        )
        if not others:
            raise Conflict("不能删除最后一个全局系统管理员岗位")
    detail = {
        "user_id": post.user_id,
        "role": post.role,
        "region_id": post.region_id,
        "department_id": post.department_id,
        "utility_id": post.utility_id,
    }
    user = post.user
    user.posts.remove(post)
    session.flush()
    record(
        session,
        actor=actor,
        action="post.remove",
        subject_type="post",
        subject_id=post_id,
        now=now,
        detail=detail,
    )


def _is_global_admin_post(post: Post) -> bool:
    return (
        post.role == Role.ADMIN
        and post.region_id is None
        and post.department_id is None
        and post.utility_id is None
    )


@dataclass(frozen=True)
class PostView:
    """A post with the name of its anchor, for pages and API responses."""

    id: int
    role: Role
    title: str
    region_id: int | None
    department_id: int | None
    utility_id: int | None
    anchor_name: str

    @property
    def role_label(self) -> str:
        return self.role.label


def describe_posts(session: Session, user: User) -> list[PostView]:
    """The user's posts with the names of their regions, departments and utilities."""
    views: list[PostView] = []
    for p in sorted(user.posts, key=lambda p: p.id):
        name = "全局" if p.role == Role.ADMIN else "未指定"
        if p.region_id is not None:
            region = regions_by_ids(session, [p.region_id]).get(p.region_id)
            name = region.name if region else f"区划 {p.region_id}"
        elif p.department_id is not None:
            department = territory_queries.find_department(session, p.department_id)
            name = department.name if department else f"部门 {p.department_id}"
        elif p.utility_id is not None:
            utility = territory_queries.find_utility(session, p.utility_id)
            name = utility.name if utility else f"企业 {p.utility_id}"
        views.append(
            PostView(
                id=p.id,
                role=Role(p.role),
                title=p.title,
                region_id=p.region_id,
                department_id=p.department_id,
                utility_id=p.utility_id,
                anchor_name=name,
            )
        )
    return views


@dataclass(frozen=True)
class AnchorIds:
    """Ids of a post anchor looked up by code (for the CLI)."""

    region_id: int | None = None
    department_id: int | None = None
    utility_id: int | None = None


def resolve_anchor_codes(
    session: Session,
    *,
    region_code: str | None = None,
    department_code: str | None = None,
    utility_code: str | None = None,
) -> AnchorIds:
    """Turn region / department / utility codes into ids. Raises NotFound for unknown codes."""
    return AnchorIds(
        region_id=get_region_by_code(session, region_code).id if region_code else None,
        department_id=(
            get_department_by_code(session, department_code).id if department_code else None
        ),
        utility_id=get_utility_by_code(session, utility_code).id if utility_code else None,
    )
