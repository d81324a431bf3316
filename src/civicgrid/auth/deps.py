"""FastAPI dependencies: who is calling (bearer token or session cookie), CSRF and roles.

Requests authenticate with ``Authorization: Bearer <token>`` (JSON API clients) or with the
signed ``civicgrid_session`` cookie (browsers). Unsafe methods authenticated by the cookie must
carry the session's CSRF token in the ``X-CSRF-Token`` header or the ``csrf_token`` form field;
bearer-token requests need none (a browser never adds that header by itself).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from civicgrid.auth import service
from civicgrid.auth.actor import PENDING_PASSWORD_CHANGE, Actor
from civicgrid.auth.roles import Role
from civicgrid.config import Settings
from civicgrid.deps import DbSession, clock_of, settings_of
from civicgrid.errors import Forbidden, Unauthenticated
from civicgrid.protect.throttle import Throttle, client_ip

SESSION_COOKIE = "civicgrid_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Where a session with pending account actions (a forced password change, a required 2FA
# enrolment) may still go: its own account pages and calls, and logging out.
PENDING_ALLOWED_PREFIXES = (
    "/account",
    "/logout",
    "/api/v1/auth/me",
    "/api/v1/auth/password",
    "/api/v1/auth/totp",
    "/api/v1/auth/sessions",
)


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with an unsafe request (header first, then the form field).

    Async because reading a form body is; Starlette caches the parsed form, so route handlers
    can still declare ``Form`` parameters.
    """
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


SubmittedCsrf = Annotated[str | None, Depends(submitted_csrf)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Authorization 头格式应为 “Bearer <令牌>”")
    return value.strip()


def _authenticate(
    request: Request,
    session: Session,
    now: datetime,
    settings: Settings,
    csrf: str | None,
) -> Actor | None:
    token = _bearer(request)
    if token is not None:
        actor = service.actor_for_token(session, token=token, now=now)
        request.state.actor = actor
        request.state.csrf_token = ""
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    actor, expected = service.actor_for_session(
        session, cookie_value=cookie, now=now, settings=settings
    )
    if request.method not in SAFE_METHODS and not service.csrf_matches(expected, csrf):
        raise Forbidden("CSRF 校验失败：请刷新页面后重试")
    if actor.pending and not request.url.path.startswith(PENDING_ALLOWED_PREFIXES):
        raise Forbidden(_pending_message(actor))
    request.state.actor = actor
    request.state.csrf_token = expected
    return actor


def _pending_message(actor: Actor) -> str:
    if PENDING_PASSWORD_CHANGE in actor.pending:
        return "管理员已重置您的密码：请先在“账号安全”页面（/account）修改密码"
    return "您的角色要求两步验证：请先在“账号安全”页面（/account）绑定验证器"


def authenticate(request: Request, session: Session, csrf: str | None) -> Actor:
    """The authenticated actor; 401 without valid credentials, 403 on a CSRF failure.

    Synchronous (it reads through ``session``): the dependency :func:`current_actor`, or an
    endpoint that checks the credentials itself in its own thread-pool trip, so that the
    check's read shares the endpoint's session and connection (intake). The clock and
    settings are read from the app rather than declared as dependencies."""
    actor = _authenticate(request, session, clock_of(request).now(), settings_of(request), csrf)
    if actor is None:
        raise Unauthenticated("请先登录")
    return actor


async def credentials_present(request: Request) -> None:
    """401 when the request carries no credentials at all (no bearer token, no session
    cookie). A dependency of an endpoint that checks the credentials itself in its own
    thread-pool trip (intake): dependencies run before the body is judged, so an anonymous
    call is told to log in rather than how its body is wrong. Reads no row (async, no trip);
    the credentials themselves are checked by :func:`authenticate_json`."""
    if _bearer(request) is None and not request.cookies.get(SESSION_COOKIE):
        raise Unauthenticated("请先登录")


def authenticate_json(request: Request, session: Session) -> Actor:
    """:func:`authenticate` for an endpoint that takes a JSON body: a cookie-authenticated call
    can carry its CSRF token only in the ``X-CSRF-Token`` header (no dependency needed)."""
    return authenticate(request, session, request.headers.get(CSRF_HEADER) or None)


def current_actor(request: Request, session: DbSession, csrf: SubmittedCsrf) -> Actor:
    """The authenticated actor (:func:`authenticate`) as a dependency: one thread-pool hop."""
    return authenticate(request, session, csrf)


def optional_actor(request: Request, session: DbSession, csrf: SubmittedCsrf) -> Actor | None:
    """The actor when the request carries valid credentials, else None (expired or unknown
    credentials count as none). A cookie-authenticated unsafe request still needs its CSRF
    token (403)."""
    try:
        return _authenticate(request, session, clock_of(request).now(), settings_of(request), csrf)
    except Unauthenticated:
        return None


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]


def require_roles(*roles: Role) -> Callable[[Actor], Coroutine[Any, Any, Actor]]:
    """A dependency that returns the actor if they hold one of ``roles``, else 403 (async: a
    check of values, it need not go to the thread pool)."""
    wanted = frozenset(roles)
    labels = "、".join(r.label for r in roles)

    async def dependency(actor: CurrentActor) -> Actor:
        if not actor.has_role(*wanted):
            raise Forbidden(f"没有权限：需要以下角色之一：{labels}")
        return actor

    return dependency


def csrf_token_for(request: Request) -> str:
    """The CSRF token of the request's web session ("" for token or anonymous requests);
    available after ``current_actor`` / ``optional_actor`` ran."""
    token = getattr(request.state, "csrf_token", "")
    return token if isinstance(token, str) else ""


def set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure per settings, lasting as long
    as the server-side session may."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.cookie_secure, path="/"
    )


def throttle_login(throttle: Throttle, request: Request, username: str, settings: Settings) -> str:
    """Count a login attempt per client address and per account name (all addresses); 429
    with ``Retry-After`` when either limit is spent. Returns the client address. Called before
    the request's session runs a statement (the throttle commits its counter itself)."""
    ip = client_ip(request)
    throttle.enforce("login-ip", ip, settings.throttle_login_ip)
    throttle.enforce("login-account", username.strip().casefold(), settings.throttle_login_account)
    return ip
