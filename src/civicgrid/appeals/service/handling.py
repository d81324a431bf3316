"""Handling use cases: dispatch to a lead unit and co-units, sign, contact the caller, send
back (reviewed), reply, and photos added during handling. Extensions, termination and parking
are in ``reviews``. Each use case is one transaction (DOMAIN §1.4–1.5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import UrgencyLevel, deadlines_for
from civicgrid.appeals.models import Appeal, AppealUnit, Attachment, ReturnRequest
from civicgrid.appeals.service.calendar_admin import working_calendar
from civicgrid.appeals.service.common import (
    CENTRE,
    UnitRef,
    acting_role,
    flush,
    load_for_action,
    owner_recipients,
    recipient_for_unit,
    record_change,
    resolve_unit,
    transition,
)
from civicgrid.appeals.service.intake import MediaPolicy, add_photos
from civicgrid.appeals.states import TERMINAL_STATUSES, AppealStatus
from civicgrid.appeals.workflow import Action, ActionInput, check_input
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid
from civicgrid.notify.service import Recipient


def _release_units(appeal: Appeal, now: datetime) -> None:
    for unit in appeal.units:
        if unit.released_at is None:
            unit.released_at = now


@use_case
def dispatch(
    session: Session,
    *,
    appeal_id: int,
    lead: tuple[str, int],
    co_units: Sequence[tuple[str, int]] = (),
    level: UrgencyLevel | None = None,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """派单 / 改派: send the appeal to a lead unit (主办) and optional co-units (协办).

    Units are ``(kind, id)`` with kind region (a street or district), department or utility.
    The response and feedback deadlines start now. A re-dispatch before signing releases the
    earlier units. Raises Invalid for unknown or duplicate units.
    """
    return dispatch_joined(
        session,
        appeal_id=appeal_id,
        lead=lead,
        co_units=co_units,
        level=level,
        note=note,
        actor=actor,
        now=now,
        expected_version=expected_version,
    )


def dispatch_joined(
    session: Session,
    *,
    appeal_id: int,
    lead: tuple[str, int],
    co_units: Sequence[tuple[str, int]] = (),
    level: UrgencyLevel | None = None,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
    category: str = "",
    basis: dict[str, object] | None = None,
) -> Appeal:
    """The steps of :func:`dispatch` as a joiner (joins the caller's transaction, never
    commits), for a use case whose dispatch is one fact with its own writes: automatic routing
    records the classified ``category`` (a catalogue code) and the routing ``basis`` (which
    rule decided, how sure) with the dispatch, on the same timeline event."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    if category:
        appeal.category = category
    role = acting_role(appeal, Action.DISPATCH, actor)
    lead_ref = resolve_unit(session, lead[0], lead[1])
    co_refs: list[UnitRef] = []
    seen = {(lead_ref.kind, lead_ref.id)}
    for kind, unit_id in co_units:
        ref = resolve_unit(session, kind, unit_id)
        if (ref.kind, ref.id) in seen:
            raise Invalid(f"承办单位重复：{ref.name}", detail={"field": "co_units"})
        seen.add((ref.kind, ref.id))
        co_refs.append(ref)
    if level is not None:
        appeal.level = level.value
    _release_units(appeal, now)
    for unit_role, ref in [("lead", lead_ref), *(("co", r) for r in co_refs)]:
        appeal.units.append(
            AppealUnit(
                role=unit_role,
                unit_kind=ref.kind,
                unit_id=ref.id,
                unit_name=ref.name,
                unit_path=ref.path,
                assigned_at=now,
            )
        )
    due = deadlines_for(
        UrgencyLevel(appeal.level),
        received_at=appeal.received_at,
        dispatched_at=now,
        calendar=working_calendar(session),
    )
    appeal.dispatched_at = now
    appeal.signed_at = None
    appeal.contacted_at = None
    appeal.response_due_at = due.response_due
    appeal.finish_due_at = due.feedback_due
    appeal.finish_overdue_at = None
    if appeal.dispatch_due_at is not None and now > appeal.dispatch_due_at:
        appeal.dispatch_overdue_at = appeal.dispatch_overdue_at or now
    transition(
        session,
        appeal,
        Action.DISPATCH,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        detail={
            "lead": {"kind": lead_ref.kind, "id": lead_ref.id, "name": lead_ref.name},
            "co_units": [{"kind": r.kind, "id": r.id, "name": r.name} for r in co_refs],
            "level": appeal.level,
            **({"category": category} if category else {}),
            **({"basis": basis} if basis else {}),
        },
        notify=[recipient_for_unit(r.kind, r.id) for r in [lead_ref, *co_refs]],
    )
    return appeal


@use_case
def sign(
    session: Session,
    *,
    appeal_id: int,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """签收: the lead unit takes the order."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    appeal.signed_at = now
    transition(session, appeal, Action.SIGN, actor=actor, now=now)
    return appeal


@use_case
def contact(
    session: Session,
    *,
    appeal_id: int,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """联系诉求人 (响应): the unit contacted the caller and starts handling."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    appeal.contacted_at = now
    transition(session, appeal, Action.CONTACT, actor=actor, now=now, note=note.strip())
    return appeal


@use_case
def request_return(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> ReturnRequest:
    """申请退单: the lead unit sends a mis-sent order back with a reason; the centre reviews."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    check_input(Action.REQUEST_RETURN, ActionInput(text=reason), now=now)
    lead = queries.lead_unit(appeal)
    role = acting_role(appeal, Action.REQUEST_RETURN, actor)
    assert lead is not None  # acting_role checked the actor is at the lead unit
    request = ReturnRequest(
        appeal_id=appeal.id,
        unit_kind=lead.unit_kind,
        unit_id=lead.unit_id,
        reason=reason.strip(),
        requested_at=now,
        requested_by_user_id=actor.user_id,
    )
    session.add(request)
    transition(
        session,
        appeal,
        Action.REQUEST_RETURN,
        actor=actor,
        role=role,
        now=now,
        note=reason.strip(),
        notify=[CENTRE],
    )
    return request


def _decide_return(
    session: Session, appeal: Appeal, action: Action, *, note: str, actor: Actor, now: datetime
) -> ReturnRequest:
    request = queries.pending_return(session, appeal.id)
    role = acting_role(appeal, action, actor)
    check_input(action, ActionInput(text=note), now=now)
    if request is None:
        raise Invalid("没有待审核的退单申请")
    request.decision = "approved" if action is Action.APPROVE_RETURN else "rejected"
    request.decided_at = now
    request.decided_by_user_id = actor.user_id
    request.decision_note = note.strip()
    recipients = [recipient_for_unit(request.unit_kind, request.unit_id)]
    if action is Action.APPROVE_RETURN:
        _release_units(appeal, now)
        appeal.signed_at = None
        appeal.contacted_at = None
        appeal.response_due_at = None
        appeal.finish_due_at = None
    elif appeal.signed_at is None:
        appeal.signed_at = now  # a rejected send-back counts as signed (states.py)
    transition(
        session,
        appeal,
        action,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        detail={"return_id": request.id},
        notify=recipients,
    )
    return request


@use_case
def approve_return(
    session: Session,
    *,
    appeal_id: int,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> ReturnRequest:
    """同意退单: the order waits for re-dispatch (改派)."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    return _decide_return(session, appeal, Action.APPROVE_RETURN, note=note, actor=actor, now=now)


@use_case
def reject_return(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> ReturnRequest:
    """驳回退单: the unit keeps the order (as signed)."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    return _decide_return(session, appeal, Action.REJECT_RETURN, note=reason, actor=actor, now=now)


@use_case
def reply(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    photos: Sequence[bytes] = (),
    media: MediaPolicy | None = None,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """办结反馈: the unit's result. Hotline orders go to callback, grid orders to verification
    by the grid worker who reported them."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REPLY, actor)
    check_input(Action.REPLY, ActionInput(text=text), now=now)
    if photos:
        if media is None:
            raise Invalid("未配置照片存储")
        add_photos(session, appeal, photos, purpose="result", media=media, actor=actor, now=now)
    appeal.reply_text = text.strip()
    appeal.replied_at = now
    recipients = [CENTRE, *owner_recipients(appeal)]
    if appeal.created_by_user_id is not None and appeal.reporter_grid_id is not None:
        recipients.append(Recipient("user", str(appeal.created_by_user_id)))
    transition(
        session,
        appeal,
        Action.REPLY,
        actor=actor,
        role=role,
        now=now,
        note=text.strip(),
        detail={"photos": len(photos)},
        notify=recipients,
    )
    return appeal


@use_case
def add_attachment(
    session: Session,
    *,
    appeal_id: int,
    photos: Sequence[bytes],
    media: MediaPolicy,
    note: str = "",
    actor: Actor,
    now: datetime,
) -> list[Attachment]:
    """Add photos to an open appeal (evidence on site). Anyone who may see the appeal and is not
    only a resident may add; the submitting resident may add to their own open appeal."""
    appeal = queries.by_id_for(session, actor, appeal_id)
    if AppealStatus(appeal.status) in TERMINAL_STATUSES:
        raise Invalid("工单已结束，不能再添加附件")
    if not photos:
        raise Invalid("请选择照片", detail={"field": "photos"})
    own = actor.user_id is not None and actor.user_id == appeal.resident_user_id
    if actor.roles <= {Role.RESIDENT} and not own:
        raise Forbidden("只能给本人的诉求添加照片")
    rows = add_photos(
        session, appeal, photos, purpose="evidence", media=media, actor=actor, now=now
    )
    flush(session)
    record_change(
        session,
        appeal,
        action="attach",
        actor=actor,
        role=None,
        now=now,
        from_status=appeal.status,
        note=note.strip(),
        detail={"attachment_ids": [r.id for r in rows]},
    )
    return rows
