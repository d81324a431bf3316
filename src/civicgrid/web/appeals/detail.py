"""The appeal detail page (/appeals/{id}) with its timeline and one form per allowed action, and
the action posts (/appeals/{id}/actions/{code}): parse the form, call one use case through
:func:`~civicgrid.web.shared.appeal_actions.perform`, then render the updated fragment or redirect.
Which forms appear comes from ``appeals.workflow.allowed_actions``; what each form asks for
comes from ``Action.requires``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.api import render_detail
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.schemas import AppealRead
from civicgrid.appeals.self_service import CallbackChannel
from civicgrid.appeals.states import (
    AppealStatus,
    EmergencyLine,
    Satisfaction,
)
from civicgrid.appeals.workflow import ACTION_SPECS, Action, Requirement
from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now
from civicgrid.errors import DomainError, NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.appeal_actions import ActionFields, done_redirect, perform
from civicgrid.web.shared.appeal_rows import appeal_row
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import category_names, unit_choices
from civicgrid.web.shared.forms import Cipher, Media, flash_for, local_input, read_photos, refusal
from civicgrid.web.shared.render import is_htmx, render
from civicgrid.web.shared.templating import fmt_time

router = APIRouter(tags=["pages"])

# --- detail and actions -----------------------------------------------------------------------


@dataclass
class ActionForm:
    """One action form on the detail page: what it asks for, and what was typed when it
    failed."""

    action: str
    label: str
    requires: frozenset[str]
    text_label: str
    text_optional: bool
    values: dict[str, Any] = field(default_factory=dict)
    error: str = ""


# Actions whose text field is an optional note rather than a required reason.
NOTE_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.CONTACT,
        Action.APPROVE_RETURN,
        Action.APPROVE_EXTENSION,
        Action.APPROVE_TERMINATION,
        Action.APPROVE_PARK,
        Action.CALLBACK_CLOSE,
        Action.CLOSE,
        Action.VERIFY_CONFIRM,
        Action.MERGE,
        Action.DISPATCH,
        Action.TRANSFER_EMERGENCY,
        Action.RECORD_ARRIVAL,
        Action.REMIND,
        Action.APPROVE_UNREASONABLE,
    }
)
# The caller's own rating is given on the portal (/portal/appeals/{id}, /portal/track).
SELF_SERVICE_ACTIONS = frozenset({Action.SELF_RATE, Action.SELF_RATE_CLOSE})
# Actions that take no text at all.
NO_TEXT_ACTIONS = frozenset({Action.SIGN})


def action_forms(view: AppealRead, failed: ActionForm | None = None) -> list[ActionForm]:
    """One form per action the workflow allows for the actor's roles in the appeal's status."""
    forms = []
    for allowed in view.allowed_actions:
        action = Action(allowed.action)
        if action in SELF_SERVICE_ACTIONS:
            continue  # the caller rates on the portal, not on the console
        spec = ACTION_SPECS[action]
        if failed is not None and failed.action == action.value:
            forms.append(failed)
            continue
        forms.append(_blank_form(action, spec.text_label, view))
    return forms


def _blank_form(action: Action, text_label: str | None, view: AppealRead) -> ActionForm:
    requires = {r.value for r in action.requires}
    if action not in NO_TEXT_ACTIONS:
        requires.add("text")
    if action is Action.REPLY:
        requires.add("photos")
    values: dict[str, Any] = {}
    if action is Action.APPROVE_EXTENSION:
        pending = next((e for e in view.extensions if e.decision == "pending"), None)
        values["new_due_at"] = local_input(pending.requested_due_at if pending else None)
    return ActionForm(
        action=action.value,
        label=action.label,
        requires=frozenset(requires),
        text_label=text_label or "备注",
        text_optional=action in NOTE_ACTIONS,
        values=values,
    )


def detail_context(
    session: Session,
    actor: Actor,
    appeal_id: int,
    cipher: FieldCipher,
    now: datetime,
    failed: ActionForm | None = None,
) -> dict[str, Any]:
    """Everything the detail page and its fragment show."""
    appeal = queries.by_id_for(session, actor, appeal_id)
    view = render_detail(session, appeal, actor, cipher, now)
    forms = action_forms(view, failed)  # the view offers only the 不合理 steps that fit
    needs = set().union(*(f.requires for f in forms)) if forms else set()
    choices: dict[str, Any] = {
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "satisfactions": [(s.value, s.label) for s in Satisfaction],
        "emergency_lines": [(e.value, e.label) for e in EmergencyLine],
    }
    if Requirement.LEAD_UNIT.value in needs:
        choices["units"] = unit_choices(session)
    if Requirement.SUMMONED_UNITS.value in needs:
        choices["departments"] = [
            (d.id, d.name) for d in territory_queries.list_departments(session) if d.is_active
        ]
    if Requirement.ARRIVING_UNIT.value in needs:
        choices["arrivals"] = [
            (f"{w.id}:{s.department_id}", f"{fmt_time(w.called_at)} 吹哨 · {s.department_name}")
            for w in view.whistles
            for s in w.summons
            if s.arrived_at is None
        ]
    ctx: dict[str, Any] = {
        "appeal": view,
        "row": appeal_row(appeal, now),
        "forms": forms,
        "ctx_choices": choices,
        "category_name": category_names().get(view.category, ""),
        "satisfaction_labels": {s.value: s.label for s in Satisfaction},
        "callback_channels": {c.value: c.label for c in CallbackChannel},
        "status_labels": {s.value: s.label for s in AppealStatus},
    }
    return ctx


@router.get("/appeals/{appeal_id}", include_in_schema=False)
def detail(
    request: Request,
    appeal_id: int,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
) -> Response:
    """The appeal with its deadlines, caller (masked as the actor may see it), photos, full
    timeline and the forms of the actions allowed now."""
    ctx = detail_context(session, actor, appeal_id, cipher, now)
    ctx["flashes"] = flash_for(request)
    return render(request, "appeals/detail.html", ctx, fragment="appeals/_detail.html")


@router.post("/appeals/{appeal_id}/actions/{action_code}", include_in_schema=False)
def act(
    request: Request,
    appeal_id: int,
    action_code: str,
    actor: PageActor,
    session: DbSession,
    now: Now,
    cipher: Cipher,
    media: Media,
    text: Annotated[str, Form(max_length=5000)] = "",
    new_due_at: Annotated[str, Form(max_length=40)] = "",
    resolved: Annotated[str, Form(max_length=5)] = "",
    satisfaction: Annotated[str, Form(max_length=30)] = "",
    emergency_line: Annotated[str, Form(max_length=5)] = "",
    merge_target_no: Annotated[str, Form(max_length=20)] = "",
    lead: Annotated[str, Form(max_length=40)] = "",
    co_units: Annotated[list[str] | None, Form()] = None,
    level: Annotated[str, Form(max_length=20)] = "",
    department_ids: Annotated[list[str] | None, Form()] = None,
    whistle_kind: Annotated[str, Form(max_length=20)] = "daily",
    arrival: Annotated[str, Form(max_length=40)] = "",
    expected_version: Annotated[int | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Take one workflow action. Success: the updated detail fragment (htmx) or a redirect
    with a flash; a refusal re-renders the form with the message (422 for bad input)."""
    try:
        action = Action(action_code)
    except ValueError as exc:
        raise NotFound(f"没有这个操作：{action_code}") from exc
    fields = ActionFields(
        text=text,
        new_due_at=new_due_at,
        resolved=resolved,
        satisfaction=satisfaction,
        emergency_line=emergency_line,
        merge_target_no=merge_target_no,
        lead=lead,
        co_units=tuple(co_units or ()),
        level=level,
        department_ids=tuple(department_ids or ()),
        whistle_kind=whistle_kind,
        arrival=arrival,
        expected_version=expected_version,
    )
    try:
        perform(
            session,
            action,
            appeal_id=appeal_id,
            fields=fields,
            photos=read_photos(photos, media.max_bytes),
            media=media,
            actor=actor,
            now=now,
        )
    except NotFound:
        raise
    except DomainError as exc:
        session.rollback()
        failed = ActionForm(
            action=action.value,
            label=action.label,
            requires=frozenset(),
            text_label="",
            text_optional=False,
        )
        ctx = detail_context(session, actor, appeal_id, cipher, now)
        blank = next((f for f in ctx["forms"] if f.action == action.value), None)
        if blank is not None:
            failed = blank
        failed.values = {**failed.values, **fields.as_values()}
        failed.error = exc.message
        if blank is None:
            ctx["flashes"] = [exc.message]
        ctx["forms"] = [failed if f.action == action.value else f for f in ctx["forms"]]
        return refusal(
            render(
                request,
                "appeals/detail.html",
                ctx,
                fragment="appeals/_detail.html",
                status_code=exc.status_code,
            ),
            request,
        )
    return after_action(request, session, actor, appeal_id, action, cipher, now)


def after_action(
    request: Request,
    session: Session,
    actor: Actor,
    appeal_id: int,
    action: Action,
    cipher: FieldCipher,
    now: datetime,
) -> Response:
    """htmx: the updated detail fragment (or a redirect when the appeal left the actor's view);
    plain form: post/redirect/get with the ``done`` flash."""
    if not is_htmx(request):
        return done_redirect(f"/appeals/{appeal_id}", action)
    try:
        ctx = detail_context(session, actor, appeal_id, cipher, now)
    except NotFound:
        return Response(status_code=204, headers={"HX-Redirect": "/appeals/inbox"})
    ctx["flashes"] = [f"已完成操作：{action.label}"]
    return render(request, "appeals/detail.html", ctx, fragment="appeals/_detail.html")
