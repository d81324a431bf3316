"""The dispatcher's queue (/dispatch/queue): appeals waiting for a unit, each with a dispatch
form choosing a lead unit (主办) and co-units (协办) — the first one in the page, the others
loaded when their 派单 panel opens (/dispatch/queue/{id}/form), so that the page does not carry
every unit of the city fifty times — and a panel showing why the model suggests what it does
(/dispatch/queue/{id}/why, loaded when opened). The unit choices come
from :mod:`civicgrid.web.shared.dispatch_choices`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, can
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now, settings_of
from civicgrid.dispatch import service as dispatch_service
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.appeal_actions import REFUSED, ActionFields, done_redirect, take_action
from civicgrid.web.shared.appeal_rows import PAGE_SIZE, appeal_row, list_rows
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import unit_choices
from civicgrid.web.shared.duplicates import duplicate_rows
from civicgrid.web.shared.forms import Media, flash_for, refusal, require
from civicgrid.web.shared.render import is_htmx, render

router = APIRouter(tags=["pages"])

DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})
QUEUE_STATUSES = [
    AppealStatus.RECEIVED.value,
    AppealStatus.PENDING_DISPATCH.value,
    AppealStatus.RETURN_REQUESTED.value,
]


def _queue_context(
    request: Request, session: Session, actor: Actor, now: datetime, offset: int
) -> dict[str, Any]:
    rows, total = list_rows(session, actor, now, statuses=QUEUE_STATUSES, offset=offset)
    dispatchable = [r.id for r in rows if can(AppealStatus(r.status), Action.DISPATCH, actor.roles)]
    return {
        "rows": rows,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "units": unit_choices(session, actor),
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "flashes": flash_for(request),
        "errors": {},
        "values": {},
        "dispatchable": set(dispatchable),
        # The first order's form is in the page; the others' load when their panel opens
        # (each form lists every unit for the no-JavaScript select: 50 copies made a city's
        # queue page 1.5 MB).
        "inline": dispatchable[0] if dispatchable else None,
    }


@router.get("/dispatch/queue", include_in_schema=False)
def queue(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Appeals waiting for dispatch or for the review of a send-back (newest first), each with
    its deadline colour and a dispatch form."""
    require(actor, DISPATCH_ROLES)
    return render(
        request, "dispatch/queue.html", _queue_context(request, session, actor, now, offset)
    )


@router.get("/dispatch/queue/{appeal_id}/why", include_in_schema=False)
def dispatch_why(
    request: Request, appeal_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """Why the model suggests what it does for one queued appeal: the top three categories
    with their probabilities and the words that drove them, the level-2/3 catalogue items
    under the top category's first level, and the unit the owner rules pick at the appeal's
    place (a fragment for htmx, which the queue row loads when its panel is opened)."""
    require(actor, DISPATCH_ROLES)
    settings = settings_of(request)
    why = dispatch_service.explain_appeal(
        session,
        actor=actor,
        appeal_id=appeal_id,
        models_dir=settings.models_dir,
        policy=dispatch_service.policy_from_settings(settings),
    )
    row = appeal_row(queries.by_id_for(session, actor, appeal_id), now)
    return render(
        request, "dispatch/why.html", {"why": why, "row": row}, fragment="dispatch/_why.html"
    )


@router.get("/dispatch/queue/{appeal_id}/form", include_in_schema=False)
def dispatch_form(
    request: Request, appeal_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """The dispatch form of one queued appeal (a fragment its queue row loads when its 派单
    panel opens; a page of its own without htmx)."""
    require(actor, DISPATCH_ROLES)
    row = appeal_row(queries.by_id_for(session, actor, appeal_id), now)
    ctx = {
        "row": row,
        "units": unit_choices(session, actor),
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "errors": {},
        "values": {},
    }
    return render(request, "dispatch/form.html", ctx, fragment="dispatch/_form.html")


@router.get("/dispatch/queue/{appeal_id}/duplicates", include_in_schema=False)
def dispatch_duplicates(
    request: Request, appeal_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """The likely duplicates of one queued appeal, each with a one-click 合并到此工单 (a
    fragment the queue row loads when it scrolls into view; a page of its own without htmx)."""
    require(actor, DISPATCH_ROLES)
    ctx = {
        "appeal": appeal_row(queries.by_id_for(session, actor, appeal_id), now),
        "duplicates": duplicate_rows(session, actor, appeal_id, settings_of(request)),
        "merge_htmx": False,
        "compact": is_htmx(request),
        "back": "/dispatch/queue",
    }
    return render(request, "appeals/duplicates.html", ctx, fragment="appeals/_duplicates.html")


@router.post("/dispatch/queue/{appeal_id}", include_in_schema=False)
def dispatch_from_queue(
    request: Request,
    appeal_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    media: Media,
    lead: Annotated[str, Form(max_length=40)] = "",
    co_units: Annotated[list[str] | None, Form()] = None,
    level: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
    expected_version: Annotated[int | None, Form()] = None,
) -> Response:
    """派单 from the queue: back to the queue (303) or, for htmx, the row replaced by a note;
    a refusal re-renders the row's form with the message (422 for bad input)."""
    require(actor, DISPATCH_ROLES)
    fields = ActionFields(
        text=text,
        lead=lead,
        co_units=tuple(co_units or ()),
        level=level,
        expected_version=expected_version,
    )

    def refused(messages: list[str], status: int) -> Response:
        session.rollback()
        ctx = _queue_context(request, session, actor, now, 0)
        ctx["errors"] = {appeal_id: messages[0]}
        ctx["values"] = {appeal_id: fields.as_values()}
        ctx["row"] = appeal_row(queries.by_id_for(session, actor, appeal_id), now)
        page = render(
            request, "dispatch/queue.html", ctx, fragment="dispatch/_row.html", status_code=status
        )
        return refusal(page, request)

    def done(_: None) -> Response:
        if is_htmx(request):
            return render(request, "dispatch/_done.html", {"appeal_id": appeal_id})
        return done_redirect("/dispatch/queue", Action.DISPATCH)

    return form_actions.perform(
        lambda: take_action(
            session,
            Action.DISPATCH,
            appeal_id=appeal_id,
            fields=fields,
            media=media,
            actor=actor,
            now=now,
        ),
        redirect=done,
        refused=refused,
        refuse=REFUSED,
    )
