"""JSON API of the auth package (``/api/v1/auth``): tokens, the current user, one's own
password, sessions and two-factor authentication, and account administration. Routes parse,
call one use case and shape the answer; no rules here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.orm import Session

from civicgrid.auth import service
from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import SESSION_COOKIE, CurrentActor, require_roles, throttle_login
from civicgrid.auth.password_threads import run_password_work
from civicgrid.auth.roles import Role
from civicgrid.auth.schemas import (
    DeactivateRequest,
    LockRequest,
    MeRead,
    PasswordChange,
    PasswordConfirm,
    PasswordReset,
    PostCreate,
    PostRead,
    RecoveryCodes,
    SessionRead,
    SessionsRevoked,
    TokenCreate,
    TokenIssued,
    TokenLogin,
    TokenLoginResult,
    TokenRead,
    TotpCode,
    TotpStarted,
    UnlockResult,
    UserCreate,
    UserRead,
)
from civicgrid.config import Settings
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.protect.throttle import Throttle, ThrottleDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]

_AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "未登录或令牌无效"},
    403: {"description": "没有权限"},
}


@router.post(
    "/token",
    status_code=status.HTTP_201_CREATED,
    responses={
        401: {
            "description": "用户名或密码错误（未知用户、密码错误、锁定与停用的回答相同），"
            "或需要两步验证动态口令"
        },
        403: {"description": "须先在网页上修改初始密码或启用两步验证"},
        429: {"description": "同一地址或同一账号的登录尝试过于频繁（见 Retry-After）"},
    },
)
async def create_token_by_password(
    body: TokenLogin,
    request: Request,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    throttle: ThrottleDep,
) -> TokenLoginResult:
    """Log in with a username and password (plus the 2FA code when it is in force) and
    receive a new API token (shown once), expiring after ``token_days`` (default 90)."""
    return await run_password_work(_token_login, body, request, session, now, settings, throttle)


def _token_login(
    body: TokenLogin,
    request: Request,
    session: Session,
    now: datetime,
    settings: Settings,
    throttle: Throttle,
) -> TokenLoginResult:
    """The token login use case, in a password thread (argon2 runs here)."""
    ip = throttle_login(throttle, request, body.username, settings)
    actor, token, plain = service.login_for_token(
        session,
        username=body.username,
        password=body.password,
        token_name=body.name,
        now=now,
        settings=settings,
        ip=ip,
        otp=body.otp,
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
    body: TokenCreate, actor: CurrentActor, session: DbSession, now: Now, settings: AppSettings
) -> TokenIssued:
    """Issue a new API token for the logged-in user; the secret is shown once. It expires
    after ``token_days`` (default 90) or earlier at ``expires_at``."""
    assert actor.user_id is not None
    token, plain = service.issue_token(
        session,
        user_id=actor.user_id,
        name=body.name,
        actor=actor,
        now=now,
        expires_at=body.expires_at,
        max_days=settings.token_days,
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


# --- one's own account: password, sessions, two-factor authentication ---------------------

_OWN_ERRORS: dict[int | str, dict[str, str]] = {
    **_AUTH_ERRORS,
    409: {"description": "状态不允许（如两步验证已启用或未启用）"},
    422: {"description": "输入不符合规则（如当前密码不正确、新密码不满足密码规则）"},
}


def _current_hash(request: Request, settings: Settings) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return service.session_hash_of_cookie(cookie, settings) if cookie else None


def _own_id(actor: Actor) -> int:
    assert actor.user_id is not None
    return actor.user_id


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=_OWN_ERRORS)
def change_own_password(
    body: PasswordChange,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> Response:
    """Change one's own password (≥ 10 characters, three character classes, not the
    username, not a common password). Other web sessions end; this one stays."""
    service.change_password(
        session,
        user_id=_own_id(actor),
        current_password=body.current_password,
        new_password=body.new_password,
        actor=actor,
        now=now,
        keep_session_hash=_current_hash(request, settings),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", responses=_AUTH_ERRORS)
def list_own_sessions(
    request: Request, actor: CurrentActor, session: DbSession, now: Now, settings: AppSettings
) -> list[SessionRead]:
    """The logged-in user's valid web sessions; ``current`` marks the one making the call."""
    current = _current_hash(request, settings)
    rows = service.list_sessions(session, user_id=_own_id(actor), actor=actor, now=now)
    return [SessionRead.of(r, current) for r in rows]


@router.delete("/sessions", responses=_AUTH_ERRORS)
def revoke_own_sessions(
    request: Request, actor: CurrentActor, session: DbSession, now: Now, settings: AppSettings
) -> SessionsRevoked:
    """End all of the logged-in user's web sessions except the one making the call."""
    ended = service.revoke_sessions(
        session,
        user_id=_own_id(actor),
        actor=actor,
        now=now,
        keep_session_hash=_current_hash(request, settings),
    )
    return SessionsRevoked(ended=ended)


@router.post("/totp", status_code=status.HTTP_201_CREATED, responses=_OWN_ERRORS)
def start_own_totp(
    actor: CurrentActor, session: DbSession, now: Now, settings: AppSettings
) -> TotpStarted:
    """Begin enrolling in TOTP two-factor authentication: add the secret to an authenticator
    app, then confirm with its first code."""
    started = service.start_totp(
        session, user_id=_own_id(actor), actor=actor, now=now, settings=settings
    )
    return TotpStarted(secret=started.secret, uri=started.uri)


@router.post("/totp/confirm", responses=_OWN_ERRORS)
def confirm_own_totp(
    body: TotpCode, actor: CurrentActor, session: DbSession, now: Now, settings: AppSettings
) -> RecoveryCodes:
    """Put 2FA in force with the authenticator's current code; returns ten one-time recovery
    codes (shown once)."""
    codes = service.confirm_totp(
        session, user_id=_own_id(actor), code=body.code, actor=actor, now=now, settings=settings
    )
    return RecoveryCodes(recovery_codes=codes)


@router.post("/totp/disable", status_code=status.HTTP_204_NO_CONTENT, responses=_OWN_ERRORS)
def disable_own_totp(
    body: PasswordConfirm, actor: CurrentActor, session: DbSession, now: Now
) -> Response:
    """Turn one's own 2FA off (confirmed with the password)."""
    service.disable_totp(
        session, user_id=_own_id(actor), password=body.password, actor=actor, now=now
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/totp/recovery-codes", responses=_OWN_ERRORS)
def regenerate_own_recovery_codes(
    body: PasswordConfirm, actor: CurrentActor, session: DbSession, now: Now
) -> RecoveryCodes:
    """Replace one's recovery codes with ten new ones (the old ones stop working)."""
    codes = service.regenerate_recovery_codes(
        session, user_id=_own_id(actor), password=body.password, actor=actor, now=now
    )
    return RecoveryCodes(recovery_codes=codes)


# --- account administration ---------------------------------------------------------------

_ADMIN_ERRORS: dict[int | str, dict[str, str]] = {
    **_OWN_ERRORS,
    404: {"description": "用户不存在"},
}


def _user_read(session: DbSession, user_id: int) -> UserRead:
    user = service.get_user(session, user_id)
    return UserRead.of(user, service.describe_posts(session, user))


@router.post("/users/{user_id}/password-reset", responses=_ADMIN_ERRORS)
def reset_user_password(
    user_id: int, body: PasswordReset, actor: AdminActor, session: DbSession, now: Now
) -> UserRead:
    """Set a temporary password (admin only): the user must change it at the next login; the
    user's web sessions and API tokens are revoked."""
    service.reset_password(
        session, user_id=user_id, new_password=body.new_password, actor=actor, now=now
    )
    return _user_read(session, user_id)


@router.post("/users/{user_id}/deactivate", responses=_ADMIN_ERRORS)
def deactivate_user(
    user_id: int, body: DeactivateRequest, actor: AdminActor, session: DbSession, now: Now
) -> UserRead:
    """Deactivate an account (admin only): no more logins; sessions and tokens stop working."""
    service.deactivate_user(session, user_id=user_id, reason=body.reason, actor=actor, now=now)
    return _user_read(session, user_id)


@router.post("/users/{user_id}/reactivate", responses=_ADMIN_ERRORS)
def reactivate_user(user_id: int, actor: AdminActor, session: DbSession, now: Now) -> UserRead:
    """Reactivate a deactivated account (admin only)."""
    service.reactivate_user(session, user_id=user_id, actor=actor, now=now)
    return _user_read(session, user_id)


@router.post("/users/{user_id}/lock", responses=_ADMIN_ERRORS)
def lock_user(
    user_id: int, body: LockRequest, actor: AdminActor, session: DbSession, now: Now
) -> UserRead:
    """Lock an account until a time (admin only): logins, sessions and tokens are refused."""
    service.lock_user(
        session, user_id=user_id, until=body.until, reason=body.reason, actor=actor, now=now
    )
    return _user_read(session, user_id)


@router.post("/users/{user_id}/unlock", responses=_ADMIN_ERRORS)
def unlock_user(user_id: int, actor: AdminActor, session: DbSession, now: Now) -> UnlockResult:
    """Lift an administrator's lock and the login-failure locks of every client address."""
    cleared = service.unlock_user(session, user_id=user_id, actor=actor, now=now)
    return UnlockResult(addresses_cleared=cleared)


@router.post(
    "/users/{user_id}/totp-reset", status_code=status.HTTP_204_NO_CONTENT, responses=_ADMIN_ERRORS
)
def reset_user_totp(user_id: int, actor: AdminActor, session: DbSession, now: Now) -> Response:
    """Remove a user's 2FA (a lost phone; admin only); the user enrols again."""
    service.reset_totp(session, user_id=user_id, actor=actor, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/sessions", responses=_ADMIN_ERRORS)
def list_user_sessions(
    user_id: int, actor: AdminActor, session: DbSession, now: Now
) -> list[SessionRead]:
    """A user's valid web sessions (admin only)."""
    service.get_user(session, user_id)
    rows = service.list_sessions(session, user_id=user_id, actor=actor, now=now)
    return [SessionRead.of(r, None) for r in rows]


@router.delete("/users/{user_id}/sessions", responses=_ADMIN_ERRORS)
def revoke_user_sessions(
    user_id: int, actor: AdminActor, session: DbSession, now: Now
) -> SessionsRevoked:
    """End all of a user's web sessions (admin only)."""
    return SessionsRevoked(
        ended=service.revoke_sessions(session, user_id=user_id, actor=actor, now=now)
    )
