"""The 账号安全 page of every logged-in user (own password, two-factor authentication, web
sessions) and the administrator's page of one account (reset, deactivate, lock, unlock, 2FA
reset, end sessions). Routes call one use case each; the rules live in ``auth.service``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicgrid.auth import service
from civicgrid.auth.actor import PENDING_PASSWORD_CHANGE, PENDING_TOTP_ENROLMENT, Actor
from civicgrid.auth.deps import SESSION_COOKIE
from civicgrid.auth.roles import Role
from civicgrid.config import Settings
from civicgrid.deps import AppSettings, DbSession, Now
from civicgrid.errors import Conflict, Invalid
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform_step
from civicgrid.web.shared.forms import parse_local_datetime, require
from civicgrid.web.shared.render import error_page, render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})

DONE = {
    "password": "密码已修改，其他设备上的登录已退出。",
    "totp-start": "请用验证器添加下方密钥，再输入验证器显示的 6 位数字完成绑定。",
    "totp-disable": "两步验证已停用。",
    "sessions-revoke": "其他设备上的登录已全部退出。",
    "reset-password": "已设置临时密码；该用户下次登录须修改密码，其原有登录和令牌均已失效。",
    "deactivate": "账号已停用。",
    "reactivate": "账号已恢复启用。",
    "lock": "账号已锁定。",
    "unlock": "已解除锁定（含各地址的登录失败锁定）。",
    "totp-reset": "已清除该用户的两步验证，其下次登录后可重新绑定。",
    "admin-sessions-revoke": "该用户的登录已全部退出。",
}


def _current_hash(request: Request, settings: Settings) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return service.session_hash_of_cookie(cookie, settings) if cookie else None


def _own_id(actor: Actor) -> int:
    assert actor.user_id is not None
    return actor.user_id


def _flash(request: Request) -> list[str]:
    done = request.query_params.get("done", "")
    return [DONE[done]] if done in DONE else []


def _account_page(
    request: Request,
    *,
    actor: Actor,
    session: DbSession,
    now: datetime,
    settings: Settings,
    errors: list[str] | None = None,
    recovery_codes: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    user_id = _own_id(actor)
    user = service.get_user(session, user_id)
    current = _current_hash(request, settings)
    sessions = [
        {"row": s, "current": s.session_hash == current}
        for s in service.list_sessions(session, user_id=user_id, actor=actor, now=now)
    ]
    return render(
        request,
        "auth/account.html",
        {
            "user": user,
            "must_change": PENDING_PASSWORD_CHANGE in actor.pending,
            "must_enrol": PENDING_TOTP_ENROLMENT in actor.pending,
            "enrolment": service.pending_totp(session, user_id=user_id, settings=settings),
            "codes_left": service.unused_recovery_codes(session, user_id=user_id),
            "recovery_codes": recovery_codes or [],
            "sessions": sessions,
            "errors": errors or [],
            "flashes": _flash(request),
        },
        status_code=status_code,
    )


@router.get("/account", include_in_schema=False)
def account_page(
    request: Request, actor: PageActor, session: DbSession, now: Now, settings: AppSettings
) -> Response:
    """账号安全: password, two-factor authentication and sessions of the logged-in user."""
    return _account_page(request, actor=actor, session=session, now=now, settings=settings)


def _codes_step(
    use: Callable[[FormCall], list[str]],
) -> Callable[[Request, FormCall, Settings], Response]:
    """A step whose answer shows one-time recovery codes (no redirect: they are shown once)."""

    def run(request: Request, call: FormCall, settings: Settings) -> Response:
        try:
            codes = use(call)
        except (Invalid, Conflict) as exc:
            return _account_page(
                request,
                actor=call.actor,
                session=call.session,
                now=call.now,
                settings=settings,
                errors=[exc.message],
                status_code=exc.status_code,
            )
        return _account_page(
            request,
            actor=call.actor,
            session=call.session,
            now=call.now,
            settings=settings,
            recovery_codes=codes,
        )

    return run


@router.post("/account/{action}", include_in_schema=False)
def account_action(
    request: Request,
    action: str,
    form: Form,
    actor: PageActor,
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> Response:
    """One change on the 账号安全 page (the CSRF token is checked by the page actor)."""
    call = FormCall(session=session, actor=actor, now=now, form=form, target=_own_id(actor))
    keep = _current_hash(request, settings)
    code_steps = {
        "totp-confirm": _codes_step(
            lambda c: service.confirm_totp(
                c.session, user_id=c.target, code=c.text("code"), settings=settings, **c.by
            )
        ),
        "recovery-codes": _codes_step(
            lambda c: service.regenerate_recovery_codes(
                c.session, user_id=c.target, password=c.text("password"), **c.by
            )
        ),
    }
    if action in code_steps:
        return code_steps[action](request, call, settings)
    steps: dict[str, Step] = {
        "password": lambda c: _change_password(c, keep),
        "totp-start": lambda c: service.start_totp(
            c.session, user_id=c.target, settings=settings, **c.by
        ),
        "totp-disable": lambda c: service.disable_totp(
            c.session, user_id=c.target, password=c.text("password"), **c.by
        ),
        "sessions-revoke": lambda c: service.revoke_sessions(
            c.session, user_id=c.target, keep_session_hash=keep, **c.by
        ),
    }
    return perform_step(
        request,
        steps,
        action,
        call,
        redirect=f"/account?done={action}",
        refused=lambda msgs, status: _account_page(
            request,
            actor=actor,
            session=session,
            now=now,
            settings=settings,
            errors=msgs,
            status_code=status,
        ),
    )


def _change_password(call: FormCall, keep: str | None) -> object:
    if call.text("new_password") != call.text("confirm_password"):
        raise Invalid("两次输入的新密码不一致")
    return service.change_password(
        call.session,
        user_id=call.target,
        current_password=call.text("current_password"),
        new_password=call.text("new_password"),
        keep_session_hash=keep,
        **call.by,
    )


# --- the administrator's page of one account ----------------------------------------------


def _admin_page(
    request: Request,
    *,
    user_id: int,
    actor: Actor,
    session: DbSession,
    now: datetime,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    require(actor, ADMIN)
    user = service.get_user(session, user_id)
    return render(
        request,
        "admin/account.html",
        {
            "user": user,
            "posts": service.describe_posts(session, user),
            "locked_now": user.locked_until is not None and user.locked_until > now,
            "addresses": service.locked_addresses(session, user_id=user_id, actor=actor, now=now),
            "sessions": service.list_sessions(session, user_id=user_id, actor=actor, now=now),
            "is_self": actor.user_id == user_id,
            "errors": errors or [],
            "flashes": _flash(request),
        },
        status_code=status_code,
    )


@router.get("/admin/accounts/{user_id}", include_in_schema=False)
def admin_account_page(
    request: Request, user_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """One account's state and the administrator's actions on it."""
    return _admin_page(request, user_id=user_id, actor=actor, session=session, now=now)


def _lock(call: FormCall) -> object:
    until = parse_local_datetime(call.text("until"))
    if until is None:
        raise Invalid("请填写锁定截止时间")
    return service.lock_user(
        call.session, user_id=call.target, until=until, reason=call.text("reason"), **call.by
    )


ADMIN_STEPS: dict[str, Step] = {
    "reset-password": lambda c: service.reset_password(
        c.session, user_id=c.target, new_password=c.text("new_password"), **c.by
    ),
    "deactivate": lambda c: service.deactivate_user(
        c.session, user_id=c.target, reason=c.text("reason"), **c.by
    ),
    "reactivate": lambda c: service.reactivate_user(c.session, user_id=c.target, **c.by),
    "lock": _lock,
    "unlock": lambda c: service.unlock_user(c.session, user_id=c.target, **c.by),
    "totp-reset": lambda c: service.reset_totp(c.session, user_id=c.target, **c.by),
    "admin-sessions-revoke": lambda c: service.revoke_sessions(c.session, user_id=c.target, **c.by),
}


@router.post("/admin/accounts/{user_id}/{action}", include_in_schema=False)
def admin_account_action(
    request: Request,
    user_id: int,
    action: str,
    form: Form,
    actor: PageActor,
    session: DbSession,
    now: Now,
) -> Response:
    """One administrator action on an account."""
    if not actor.has_role(Role.ADMIN):
        return error_page(request, 403, "只有系统管理员可以管理账号")
    call = FormCall(session=session, actor=actor, now=now, form=form, target=user_id)
    return perform_step(
        request,
        ADMIN_STEPS,
        action,
        call,
        redirect=f"/admin/accounts/{user_id}?done={action}",
        refused=lambda msgs, status: _admin_page(
            request,
            user_id=user_id,
            actor=actor,
            session=session,
            now=now,
            errors=msgs,
            status_code=status,
        ),
    )
