"""JSON API of the auth package (``/api/v1/auth``): tokens, the current user, and account
administration. Routes parse, call one use case and shape the answer; no rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from civicgrid.auth import service
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor, require_roles
from civicgrid.auth.roles import Role
from civicgrid.auth.schemas import (
    MeRead,
    PostCreate,
    PostRead,
    TokenCreate,
    TokenIssued,
    TokenLogin,
    TokenLoginResult,
    TokenRead,
    UserCreate,
    UserRead,
)
from civicgrid.deps import AppSettings, DbSession, Now

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]

_AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "未登录或令牌无效"},
    403: {"description": "没有权限"},
}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post(
    "/token",
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {"description": "用户名或密码错误"},
        423: {"description": "账号因多次登录失败被锁定"},
    },
)
def create_token_by_password(
    body: TokenLogin,
    request: Request,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> TokenLoginResult:
    """Log in with a username and password and receive a new API token (shown once)."""
    actor, token, plain = service.login_for_token(
        session,
        username=body.username,
        password=body.password,
        token_name=body.name,
        now=now,
        settings=settings,
        ip=_client_ip(request),
        expires_at=body.expires_at,
    )
    issued = TokenIssued.issued(token, plain)
    return TokenLoginResult(
        **issued.model_dump(), username=actor.username, display_name=actor.display_name
    )


@router.get("/me", responses=_AUTH_ERRORS)
def read_me(actor: CurrentActor, session: DbSession) -> MeRead:
    """The logged-in user with roles, posts and data scope."""
    assert actor.user_id is not None
    user = service.get_user(session, actor.user_id)
    return MeRead.of(actor, user, service.describe_posts(session, user))


@router.get("/tokens", responses=_AUTH_ERRORS)
def list_own_tokens(actor: CurrentActor, session: DbSession) -> list[TokenRead]:
    """The logged-in user's API tokens (without their secrets)."""
    assert actor.user_id is not None
    return [TokenRead.of(t) for t in service.list_tokens(session, user_id=actor.user_id)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, responses=_AUTH_ERRORS)
def create_own_token(
    body: TokenCreate, actor: CurrentActor, session: DbSession, now: Now
) -> TokenIssued:
    """Issue a new API token for the logged-in user; the secret is shown once."""
    assert actor.user_id is not None
    token, plain = service.issue_token(
        session,
        user_id=actor.user_id,
        name=body.name,
        actor=actor,
        now=now,
        expires_at=body.expires_at,
    )
    return TokenIssued.issued(token, plain)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_AUTH_ERRORS, 404: {"description": "令牌不存在"}, 409: {"description": "已撤销"}},
)
def revoke_own_token(token_id: int, actor: CurrentActor, session: DbSession, now: Now) -> Response:
    """Revoke one of the logged-in user's tokens."""
    service.revoke_token(session, token_id=token_id, actor=actor, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", responses=_AUTH_ERRORS)
def list_users(actor: AdminActor, session: DbSession) -> list[UserRead]:
    """All accounts with their posts (admin only)."""
    return [
        UserRead.of(u, service.describe_posts(session, u))
        for u in service.list_users(session, actor=actor)
    ]


@router.get("/users/{user_id}", responses={**_AUTH_ERRORS, 404: {"description": "用户不存在"}})
def read_user(user_id: int, actor: AdminActor, session: DbSession) -> UserRead:
    """One account with its posts (admin only)."""
    user = service.get_user(session, user_id)
    return UserRead.of(user, service.describe_posts(session, user))


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    responses={**_AUTH_ERRORS, 409: {"description": "用户名已被使用"}},
)
def create_user(body: UserCreate, actor: AdminActor, session: DbSession, now: Now) -> UserRead:
    """Create an account (admin only). Give it posts with ``POST /users/{id}/posts``."""
    user = service.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        actor=actor,
        now=now,
    )
    return UserRead.of(user, [])


@router.post(
    "/users/{user_id}/posts",
    status_code=status.HTTP_201_CREATED,
    responses={**_AUTH_ERRORS, 404: {"description": "用户或区划/部门/企业不存在"}},
)
def add_post(
    user_id: int, body: PostCreate, actor: AdminActor, session: DbSession, now: Now
) -> PostRead:
    """Give a user a post (admin only)."""
    post = service.add_post(
        session,
        user_id=user_id,
        role=body.role,
        region_id=body.region_id,
        department_id=body.department_id,
        utility_id=body.utility_id,
        title=body.title,
        actor=actor,
        now=now,
    )
    user = service.get_user(session, user_id)
    view = next(v for v in service.describe_posts(session, user) if v.id == post.id)
    return PostRead.of(view)


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_AUTH_ERRORS, 404: {"description": "岗位不存在"}},
)
def remove_post(post_id: int, actor: AdminActor, session: DbSession, now: Now) -> Response:
    """Take a post away from its user (admin only)."""
    service.remove_post(session, post_id=post_id, actor=actor, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
