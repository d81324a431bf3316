"""A staff member's own choice of deadline warnings (/notices/preference): by SMS or e-mail to
an address of their own, or none; the warnings cover the orders of the units they hold posts
at. The address is shown masked once saved."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now, field_cipher, settings_of
from civicgrid.kit.masking import mask_phone
from civicgrid.notify import notices
from civicgrid.notify.addresses import CHANNEL_LABELS, SMS
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.form_actions import Form, perform
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

PAGE = "/notices/preference"


def _masked(channel: str, address: str) -> str:
    if channel == SMS:
        return mask_phone(address)
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"


def _page(
    request: Request,
    actor: Actor,
    session: Session,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = notices.find_preference(session, actor.user_id) if actor.user_id else None
    current = None
    if found is not None:
        address = field_cipher(settings_of(request)).decrypt(found.address_enc)
        current = {
            "code": found.channel,
            "channel": CHANNEL_LABELS.get(found.channel, found.channel),
            "address": _masked(found.channel, address),
            "on": found.deadline_warnings,
        }
    return render(
        request,
        "notices/preference.html",
        {
            "current": current,
            "channels": CHANNEL_LABELS,
            "has_units": bool(notices.unit_keys(actor)),
            "daily_cap": settings_of(request).notice_daily_cap,
            "errors": errors or [],
            "form": form or {},
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get(PAGE, include_in_schema=False)
def preference_page(request: Request, actor: PageActor, session: DbSession) -> Response:
    """The current choice and the form to change it."""
    return _page(request, actor, session)


@router.post(PAGE, include_in_schema=False)
def save_preference(
    request: Request, form: Form, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Save the choice; a refused address or channel re-renders the form with the reason."""
    return perform(
        lambda: notices.save_preference(
            session,
            channel=form.get("channel", ""),
            address=form.get("address", ""),
            deadline_warnings=form.get("deadline_warnings") == "1",
            cipher=field_cipher(settings_of(request)),
            actor=actor,
            now=now,
        ),
        redirect=f"{PAGE}?done=save",
        refused=lambda msgs, status: _page(
            request, actor, session, errors=msgs, form=form, status_code=status
        ),
    )
