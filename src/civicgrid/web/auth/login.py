"""Login and logout pages. Plain HTML forms that work without JavaScript."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from civicgrid.auth import service
from civicgrid.auth.deps import (
    SESSION_COOKIE,
    OptionalActor,
    clear_session_cookie,
    set_session_cookie,
    throttle_login,
)
from civicgrid.auth.password_threads import run_password_work
from civicgrid.config import Settings
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Unauthenticated
from civicgrid.protect.throttle import Throttle, ThrottleDep, client_ip
from civicgrid.web.shared.context import set_page_context
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _form(
    request: Request, *, username: str, next_url: str, error: str = "", status_code: int = 200
) -> Response:
    set_page_context(request, None)
    return render(
        request,
        "auth/login.html",
        {
            "username": username,
            "next_url": next_url,
            "error": error,
            "logged_out": request.query_params.get("logged_out") == "1",
        },
        status_code=status_code,
    )


@router.get("/login", include_in_schema=False)
def login_page(
    request: Request,
    actor: OptionalActor,
    next_url: Annotated[str, Query(alias="next")] = "/",
) -> Response:
    """The login form; a logged-in visitor goes straight on."""
    if actor is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _form(request, username="", next_url=safe_next(next_url))


@router.post("/login", include_in_schema=False)
async def login_submit(
    request: Request,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    throttle: ThrottleDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the credentials; on success set the session cookie and go on (303). Attempts
    are throttled per client address and per account name (429 page). The check runs in a
    password thread (argon2), not in the thread pool the pages share."""
    return await run_password_work(
        _login, request, session, now, settings, throttle, username, password, next_url
    )


def _login(
    request: Request,
    session: Session,
    now: datetime,
    settings: Settings,
    throttle: Throttle,
    username: str,
    password: str,
    next_url: str,
) -> Response:
    """The web login use case, in a password thread (argon2 runs here)."""
    username = username.strip()
    next_url = safe_next(next_url)
    if not username or not password:
        return _form(
            request,
            username=username,
            next_url=next_url,
            error="请输入用户名和密码",
            status_code=422,
        )
    ip = throttle_login(throttle, request, username, settings)
    try:
        _actor, cookie, _csrf = service.login(
            session,
            username=username,
            password=password,
            now=now,
            settings=settings,
            ip=ip,
        )
    except service.SecondFactorRequired as exc:
        return _otp_form(request, ticket=exc.ticket, next_url=next_url)
    except Unauthenticated as exc:
        return _form(
            request, username=username, next_url=next_url, error=exc.message, status_code=422
        )
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, cookie, settings)
    return response


def _otp_form(
    request: Request, *, ticket: str, next_url: str, error: str = "", status_code: int = 200
) -> Response:
    set_page_context(request, None)
    return render(
        request,
        "auth/login_otp.html",
        {"ticket": ticket, "next_url": next_url, "error": error},
        status_code=status_code,
    )


@router.post("/login/otp", include_in_schema=False)
def login_otp_submit(
    request: Request,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    throttle: ThrottleDep,
    ticket: Annotated[str, Form()] = "",
    otp: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """The second step of a login with two-factor authentication: the one-time code."""
    next_url = safe_next(next_url)
    if not otp.strip():
        return _otp_form(
            request, ticket=ticket, next_url=next_url, error="请输入动态口令", status_code=422
        )
    ip = client_ip(request)
    throttle.enforce("login-ip", ip, settings.throttle_login_ip)
    try:
        _actor, cookie, _csrf = service.login_second_factor(
            session,
            ticket=ticket,
            otp=otp,
            now=now,
            settings=settings,
            ip=ip,
        )
    except Unauthenticated as exc:
        return _otp_form(
            request, ticket=ticket, next_url=next_url, error=exc.message, status_code=422
        )
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, cookie, settings)
    return response


@router.post("/logout", include_in_schema=False)
def logout_submit(
    request: Request, actor: OptionalActor, session: DbSession, now: Now, settings: AppSettings
) -> Response:
    """End the web session (the CSRF token is checked by ``optional_actor``; 403 without)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    response = RedirectResponse("/login?logged_out=1", status_code=303)
    if actor is not None and cookie:
        service.logout(session, cookie_value=cookie, now=now, settings=settings)
    clear_session_cookie(response, settings)
    return response
