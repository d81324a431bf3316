"""The appeal detail page (/appeals/{id}) with its timeline and one form per allowed action, and
the action posts (/appeals/{id}/actions/{code}): the form becomes the action's request of the
appeals action table, taken by ``web.shared.appeal_actions.take_action`` inside
``form_actions.perform``; then the updated fragment or a redirect. Which forms
appear comes from the view's ``allowed_actions`` (``appeals.actions.offered_actions``); what
each form asks for comes from ``Action.requires``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import actions, queries
from civicgrid.appeals.deadlines import UrgencyLevel
from civicgrid.appeals.next_action import next_action
from civicgrid.appeals.read_models import attachment_out, render_detail
from civicgrid.appeals.schemas import AppealRead, AttachmentOut
from civicgrid.appeals.self_service_rules import CallbackChannel
from civicgrid.appeals.states import (
    AppealStatus,
    EmergencyLine,
    Satisfaction,
)
from civicgrid.appeals.workflow import ACTION_SPECS, Action, Requirement
from civicgrid.auth.actor import Actor
from civicgrid.auth.service import people_by_id
from civicgrid.deps import DbSession, Now, settings_of
from civicgrid.errors import NotFound
from civicgrid.kit.crypto import FieldCipher
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared import form_actions
from civicgrid.web.shared.appeal_actions import REFUSED, ActionFields, done_redirect, take_action
from civicgrid.web.shared.appeal_rows import appeal_row
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import category_names, unit_choices
from civicgrid.web.shared.duplicates import duplicate_rows
from civicgrid.web.shared.forms import Cipher, Media, flash_for, local_input, read_photos, refusal
from civicgrid.web.shared.render import is_htmx, render
from civicgrid.web.shared.templating import fmt_time, person

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
    primary: bool = False


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
# Request fields of the action table that the form asks for beside what the workflow requires
# (the name the template tests for).
OPTIONAL_INPUTS = {
    "photos": "photos",
    "knowledge_article_id": "knowledge_article",
    "arrive_within_minutes": "arrive_within",
}


def action_forms(
    view: AppealRead, actor: Actor, failed: ActionForm | None = None
) -> list[ActionForm]:
    """One form per action the workflow allows for the actor's roles in the appeal's status;
    the expected next one (:func:`civicgrid.appeals.next_action.next_action`) first, marked
    ``primary``."""
    offered = [Action(a.action) for a in view.allowed_actions]
    expected = next_action(
        AppealStatus(view.status),
        actor.roles,
        offered,
        application_pending=view.unreasonable_application is not None,
    )
    forms = []
    for allowed in view.allowed_actions:
        action = Action(allowed.action)
        row = actions.row_for(action)
        if row is None:
            continue  # the caller rates on the portal (/portal/appeals/{id}, /portal/track)
        if failed is not None and failed.action == action.value:
            forms.append(failed)
            continue
        forms.append(_blank_form(row, ACTION_SPECS[action].text_label, view))
    for form in forms:
        form.primary = expected is not None and form.action == expected.value
    return sorted(forms, key=lambda f: not f.primary)


def _blank_form(row: actions.ActionRow, text_label: str | None, view: AppealRead) -> ActionForm:
    """The form of one action: what the workflow requires, the free text when the request has
    one, and the optional inputs of its request (photos, knowledge article, arrival time)."""
    action = row.action
    requires = {r.value for r in action.requires}
    if row.text_field is not None:
        requires.add("text")
    requires |= {tag for name, tag in OPTIONAL_INPUTS.items() if name in row.request.model_fields}
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
    """Everything the detail page and its fragment show: the appeal, the action forms (the
    expected one first), the result the viewer judges, and whether the viewer may merge (the
    page then loads the likely duplicates)."""
    appeal = queries.by_id_for(session, actor, appeal_id)
    view = render_detail(session, appeal, actor, cipher, now)
    forms = action_forms(view, actor, failed)  # the view offers only the 不合理 steps that fit
    needs = set().union(*(f.requires for f in forms)) if forms else set()
    choices: dict[str, Any] = {
        "levels": [(lv.value, lv.label) for lv in UrgencyLevel],
        "satisfactions": [(s.value, s.label) for s in Satisfaction],
        "emergency_lines": [(e.value, e.label) for e in EmergencyLine],
    }
    if Requirement.LEAD_UNIT.value in needs:
        choices["units"] = unit_choices(session, actor)
    if Requirement.SUMMONED_UNITS.value in needs:
        choices["departments"] = [
            (d.id, d.name) for d in territory_queries.list_departments(session) if d.is_active
        ]
    if "knowledge_article" in needs:
        choices["articles"] = [(a.id, a.title) for a in queries.search_knowledge(session, "")]
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
        "result": judged_result(view),
        "report_photos": [a for a in view.attachments if a.purpose not in RESULT_PURPOSES],
        "may_merge": any(f.action == Action.MERGE.value for f in forms),
        "merged_into": _merged_into(view),
    }
    return ctx


RESULT_PURPOSES = frozenset({"result", "evidence"})


def _merged_into(view: AppealRead) -> tuple[int, str] | None:
    """The id and number of the appeal this one was merged into (from its merge event)."""
    if view.merged_into_id is None:
        return None
    merge = next((e for e in reversed(view.timeline) if e.action == Action.MERGE.value), None)
    number = str(merge.detail.get("target_number", "")) if merge else ""
    return view.merged_into_id, number or f"#{view.merged_into_id}"


@dataclass(frozen=True)
class JudgedResult:
    """The unit's reply as the grid worker (核查) and the operator (回访) judge it: the text,
    who answered for which unit, when, and the photos of the result."""

    text: str
    by: str
    at: datetime | None
    photos: list[AttachmentOut]


def judged_result(view: AppealRead) -> JudgedResult | None:
    """The latest reply with its photos; None before any reply."""
    if not view.reply_text:
        return None
    reply = next((e for e in reversed(view.timeline) if e.action == Action.REPLY.value), None)
    return JudgedResult(
        text=view.reply_text,
        by=(reply.actor_name or person(reply.actor_label)) if reply else "",
        at=view.replied_at,
        photos=[a for a in view.attachments if a.purpose in RESULT_PURPOSES],
    )


def result_of(session: Session, actor: Actor, appeal_id: int) -> JudgedResult | None:
    """The judged result of one appeal the actor may see, without the rest of the detail."""
    appeal = queries.by_id_for(session, actor, appeal_id)
    if not appeal.reply_text:
        return None
    events = [e for e in queries.timeline(session, appeal.id) if e.action == Action.REPLY.value]
    reply = events[-1] if events else None
    by = ""
    if reply is not None:
        people = people_by_id(session, [reply.actor_user_id])
        found = people.get(reply.actor_user_id) if reply.actor_user_id is not None else None
        by = found.label(reply.actor_role) if found else person(reply.actor_label)
    return JudgedResult(
        text=appeal.reply_text,
        by=by,
        at=appeal.replied_at,
        photos=[
            attachment_out(a)
            for a in queries.attachments(session, appeal.id)
            if a.purpose in RESULT_PURPOSES
        ],
    )


@router.get("/appeals/{appeal_id}/duplicates", include_in_schema=False)
def duplicates(
    request: Request, appeal_id: int, actor: PageActor, session: DbSession, now: Now
) -> Response:
    """The likely duplicates of an appeal the viewer may merge, each with a one-click
    合并到此工单 (the fragment the detail page loads, so intake's result is not held up by the
    search; a page of its own without htmx). 403 when the viewer may not merge it now."""
    rows = duplicate_rows(session, actor, appeal_id, settings_of(request))
    ctx = {
        "appeal": appeal_row(queries.by_id_for(session, actor, appeal_id), now),
        "duplicates": rows,
        "merge_htmx": is_htmx(request),
        "back": f"/appeals/{appeal_id}",
    }
    return render(request, "appeals/duplicates.html", ctx, fragment="appeals/_duplicates.html")


@router.get("/appeals/{appeal_id}/result", include_in_schema=False)
def result(request: Request, appeal_id: int, actor: PageActor, session: DbSession) -> Response:
    """The unit's reply with its photos (a fragment the grid worker's verify list loads; the
    page itself without htmx)."""
    found = result_of(session, actor, appeal_id)
    if found is None:
        raise NotFound("该工单还没有办理结果")
    ctx = {"result": found, "appeal_id": appeal_id, "heading": "h3"}
    return render(request, "appeals/result.html", ctx, fragment="appeals/_result.html")


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


def _action(code: str) -> Action:
    try:
        return Action(code)
    except ValueError as exc:
        raise NotFound(f"没有这个操作：{code}") from exc


def _refused_page(
    request: Request,
    session: Session,
    actor: Actor,
    appeal_id: int,
    cipher: FieldCipher,
    now: datetime,
    action: Action,
    fields: ActionFields,
    message: str,
    status: int,
) -> Response:
    """The detail again with the refused form filled as posted and the message beside it (or
    as a flash when the form is no longer offered)."""
    session.rollback()
    ctx = detail_context(session, actor, appeal_id, cipher, now)
    blank = next((f for f in ctx["forms"] if f.action == action.value), None)
    failed = blank or ActionForm(
        action=action.value,
        label=action.label,
        requires=frozenset(),
        text_label="",
        text_optional=False,
    )
    failed.values = {**failed.values, **fields.as_values()}
    failed.error = message
    if blank is None:
        ctx["flashes"] = [message]
    ctx["forms"] = [failed if f.action == action.value else f for f in ctx["forms"]]
    page = render(
        request,
        "appeals/detail.html",
        ctx,
        fragment="appeals/_detail.html",
        status_code=status,
    )
    return refusal(page, request)


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
    arrive_within_minutes: Annotated[str, Form(max_length=10)] = "",
    arrival: Annotated[str, Form(max_length=40)] = "",
    knowledge_article_id: Annotated[str, Form(max_length=20)] = "",
    expected_version: Annotated[int | None, Form()] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Take one workflow action (through the appeals action table). Success: the updated
    detail fragment (htmx) or a redirect with a flash; a refusal re-renders the form with the
    message (422 for bad input, 409 for a wrong step, 403)."""
    action = _action(action_code)
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
        arrive_within_minutes=arrive_within_minutes,
        arrival=arrival,
        knowledge_article_id=knowledge_article_id,
        expected_version=expected_version,
    )

    def take() -> None:
        posted = replace(fields, photos=tuple(read_photos(photos, media.max_bytes)))
        take_action(
            session, action, appeal_id=appeal_id, fields=posted, media=media, actor=actor, now=now
        )

    return form_actions.perform(
        take,
        redirect=lambda _: after_action(request, session, actor, appeal_id, action, cipher, now),
        refused=lambda messages, status: _refused_page(
            request, session, actor, appeal_id, cipher, now, action, fields, messages[0], status
        ),
        refuse=REFUSED,
    )


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
