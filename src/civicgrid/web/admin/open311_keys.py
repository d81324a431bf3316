"""Administration of the Open311 client applications (/admin/open311): the list with key
prefix, rate limit, last use and revocation; a form to create a client, whose new key is shown
once on the answer page (it is stored only hashed, so it cannot survive a redirect); revoking
a key. Admin only; the use cases check the role again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.roles import Role
from civicgrid.config import Settings
from civicgrid.deps import DbSession, Now, settings_of
from civicgrid.open311 import queries, service
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, FormCall, Step, perform_step
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

ADMIN = frozenset({Role.ADMIN})
PAGE = "/admin/open311"


def _page(
    request: Request,
    session: Session,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    new_key: str = "",
    new_name: str = "",
    status_code: int = 200,
) -> Response:
    settings: Settings = settings_of(request)
    return render(
        request,
        "admin/open311.html",
        {
            "clients": queries.clients(session),
            "errors": errors or [],
            "form": form or {},
            "new_key": new_key,
            "new_name": new_name,
            "default_limit": settings.open311_rate_limit,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def clients_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """The client applications and the form to add one."""
    require(actor, ADMIN)
    return _page(request, session)


def _limit(text: str) -> int:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 0


@router.post(f"{PAGE}/clients", include_in_schema=False)
def create_client(
    request: Request, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Create a client; the answer shows its key once."""
    require(actor, ADMIN)
    limit = _limit(form.get("rate_limit", "")) if form.get("rate_limit", "").strip() else None

    # Success answers with the page showing the new key once (it is stored only hashed), not
    # with a redirect.
    return form_actions.perform(
        lambda: service.create_client(
            session,
            name=form.get("name", ""),
            rate_limit_per_minute=settings_of(request).open311_rate_limit
            if limit is None
            else limit,
            actor=actor,
            now=now,
        ),
        redirect=lambda created: _page(
            request, session, new_key=created[1], new_name=created[0].name
        ),
        refused=lambda messages, status: _page(
            request, session, errors=messages, form=form, status_code=status
        ),
    )


STEPS: dict[str, Step] = {
    "revoke": lambda c: service.revoke_client(c.session, client_id=c.target, **c.by),
}


@router.post(f"{PAGE}/clients/{{client_id}}/{{action}}", include_in_schema=False)
def client_action(
    request: Request,
    client_id: int,
    action: str,
    form: Form,
    actor: PageActor,
    session: DbSession,
    now: Now,
) -> Response:
    require(actor, ADMIN)
    call = FormCall(session=session, actor=actor, now=now, form=form, target=client_id)
    return perform_step(
        request,
        STEPS,
        action,
        call,
        redirect=f"{PAGE}?done={action}",
        refused=lambda msgs, status: _page(request, session, errors=msgs, status_code=status),
    )
