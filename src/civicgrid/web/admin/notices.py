"""Administration of notices to people (/admin/notices): the Chinese wording of each kind of
notice with the placeholders it may use (save, or back to the built-in text), and the form to
record an opt-out (退订). Admin only; the use cases audit every change."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, field_cipher, settings_of
from civicgrid.notify import notices
from civicgrid.notify.addresses import CHANNEL_LABELS
from civicgrid.notify.templates import PLACEHOLDERS
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform, perform_step
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})
PAGE = "/admin/notices"


def _page(
    request: Request,
    session: Session,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    failed_kind: str = "",
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    return render(
        request,
        "admin/notices.html",
        {
            "templates": [
                {"kind": k, "text": t, "customised": c, "placeholders": PLACEHOLDERS[k]}
                for k, t, c in notices.list_templates(session)
            ],
            "channels": CHANNEL_LABELS,
            "sms_on": bool(settings.sms_gateway_url),
            "smtp_on": bool(settings.smtp_host),
            "daily_cap": settings.notice_daily_cap,
            "errors": errors or [],
            "form": form or {},
            "failed_kind": failed_kind,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def notices_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """The templates with their edit forms and the opt-out form."""
    require(actor, ADMIN)
    return _page(request, session)


def _kind_of(c: FormCall) -> str:
    return c.form.get("kind", "")


STEPS: dict[str, Step] = {
    "save": lambda c: notices.save_template(
        c.session, kind=_kind_of(c), subject=c.text("subject"), body=c.text("body"), **c.by
    ),
    "reset": lambda c: notices.reset_template(c.session, kind=_kind_of(c), **c.by),
}


@router.post(f"{PAGE}/templates/{{action}}", include_in_schema=False)
def template_action(
    request: Request, action: str, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    require(actor, ADMIN)
    call = FormCall(session=session, actor=actor, now=now, form=form)
    return perform_step(
        request,
        STEPS,
        action,
        call,
        redirect=f"{PAGE}?done={action}",
        refused=lambda msgs, status: _page(
            request,
            session,
            errors=msgs,
            form=form,
            failed_kind=form.get("kind", ""),
            status_code=status,
        ),
    )


@router.post(f"{PAGE}/opt-outs", include_in_schema=False)
def record_opt_out(
    request: Request, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    require(actor, ADMIN)
    return perform(
        lambda: notices.opt_out(
            session,
            channel=form.get("channel", "sms"),
            address=form.get("address", ""),
            cipher=field_cipher(settings_of(request)),
            actor=actor,
            now=now,
        ),
        redirect=f"{PAGE}?done=opt_out",
        refused=lambda msgs, status: _page(
            request, session, errors=msgs, form=form, status_code=status
        ),
    )
