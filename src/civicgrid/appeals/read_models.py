"""Read models of appeals (the schemas' ``AppealListItem`` and ``AppealRead``) built from the
stored records, for the JSON API and the console: list rows and the detail with timeline,
caller as the viewer may see it, the running deadline's warning colour and the actions the
viewer may take now. Not routes: those are in ``appeals.api``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.actions import offered_actions
from civicgrid.appeals.caller import caller_view
from civicgrid.appeals.channels import AppealType, Channel, Flow
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.models import Appeal, AppealUnit, Attachment, TimelineEvent
from civicgrid.appeals.schemas import (
    AppealListItem,
    AppealRead,
    AttachmentOut,
    CallbackOut,
    CallerOut,
    DeadlineOut,
    EventOut,
    ExtensionOut,
    MergedOut,
    ReturnOut,
    SupervisionOut,
    UnitOut,
    UnreasonableApplicationOut,
    UnreasonableFindingOut,
    WhistleOut,
)
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.service.people import Person, people_by_id
from civicgrid.kit.crypto import FieldCipher

API_PREFIX = "/api/v1/appeals"


def attachment_out(row: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=row.id,
        purpose=row.purpose,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        uploaded_at=row.uploaded_at,
        url=f"{API_PREFIX}/{row.appeal_id}/attachments/{row.id}",
    )


def list_item(appeal: Appeal, now: datetime) -> AppealListItem:
    return AppealListItem(**list_fields(appeal, now))


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def _unit(unit: AppealUnit) -> UnitOut:
    return UnitOut(role=unit.role, kind=unit.unit_kind, id=unit.unit_id, name=unit.unit_name)


def _deadline(appeal: Appeal, now: datetime) -> DeadlineOut | None:
    running = queries.running_deadline(appeal)
    if running is None:
        return None
    warning = queries.warning_for(appeal, now)
    return DeadlineOut(
        kind=running.kind,
        due_at=running.due,
        warning=warning,
        warning_label=warning.label if warning else "",
    )


def list_fields(appeal: Appeal, now: datetime) -> dict[str, Any]:
    status_ = AppealStatus(appeal.status)
    lead = queries.lead_unit(appeal)
    deadline = _deadline(appeal, now)
    return {
        "id": appeal.id,
        "number": appeal.number,
        "status": appeal.status,
        "status_label": status_.label,
        "status_colour": status_.colour.value,
        "channel": appeal.channel,
        "channel_label": _label(Channel, appeal.channel),
        "appeal_type": appeal.appeal_type,
        "type_label": _label(AppealType, appeal.appeal_type),
        "level": appeal.level,
        "level_label": _label(UrgencyLevel, appeal.level),
        "title": appeal.title,
        "address": appeal.address,
        "received_at": appeal.received_at,
        "lead_unit": _unit(lead) if lead else None,
        "deadline": deadline,
        "overdue": deadline is not None and deadline.warning is WarningLevel.RED,
        "unreasonable_pending": appeal.unreasonable_applied_at is not None,
        "version": appeal.version,
    }


def _event(event: TimelineEvent, people: Mapping[int, Person]) -> EventOut:
    person = people.get(event.actor_user_id) if event.actor_user_id is not None else None
    return EventOut(
        id=event.id,
        at=event.at,
        action=event.action,
        action_label=_label(Action, event.action) if event.action != "submit" else "受理登记",
        from_status=event.from_status,
        to_status=event.to_status,
        actor_label=event.actor_label,
        actor_role=event.actor_role,
        note=event.note,
        detail=event.detail,
        actor_name=_person_name(event, person),
    )


# Residents act on their own appeals (随手拍, 自助评价): the timeline says 诉求人, the way the
# caller is masked on the page, never the resident's name.
CALLER_NAME = "诉求人"


def _person_name(event: TimelineEvent, person: Person | None) -> str:
    if event.actor_role == Role.RESIDENT.value:
        return CALLER_NAME
    return person.label(event.actor_role) if person else ""


def timeline_out(session: Session, appeal_id: int) -> list[EventOut]:
    """The appeal's timeline with each person named by display name and unit."""
    events = queries.timeline(session, appeal_id)
    people = people_by_id(session, (e.actor_user_id for e in events))
    return [_event(e, people) for e in events]


def _finding(appeal: Appeal) -> UnreasonableFindingOut | None:
    if not appeal.excluded_from_rates:
        return None
    return UnreasonableFindingOut(
        reason=appeal.unreasonable_reason or "",
        at=appeal.unreasonable_at,
        by=appeal.unreasonable_by_label or "",
    )


def _application(appeal: Appeal) -> UnreasonableApplicationOut | None:
    if appeal.unreasonable_applied_at is None:
        return None
    return UnreasonableApplicationOut(
        reason=appeal.unreasonable_applied_reason or "",
        applied_at=appeal.unreasonable_applied_at,
        applied_by=appeal.unreasonable_applied_by_label or "",
    )


def render_detail(
    session: Session, appeal: Appeal, actor: Actor, cipher: FieldCipher, now: datetime
) -> AppealRead:
    """The detail view of one appeal as ``actor`` may see it."""
    caller = caller_view(appeal, actor, cipher)
    return AppealRead(
        **list_fields(appeal, now),
        flow=appeal.flow,
        content=appeal.content,
        category=appeal.category,
        lon=appeal.lon,
        lat=appeal.lat,
        region_id=appeal.region_id,
        caller=CallerOut(name=caller.name, phone=caller.phone, hidden=caller.hidden),
        confidential=appeal.confidential,
        anonymous=appeal.anonymous,
        units=[_unit(u) for u in queries.active_units(appeal)],
        dispatch_due_at=appeal.dispatch_due_at,
        response_due_at=appeal.response_due_at,
        finish_due_at=appeal.finish_due_at,
        dispatched_at=appeal.dispatched_at,
        signed_at=appeal.signed_at,
        contacted_at=appeal.contacted_at,
        replied_at=appeal.replied_at,
        closed_at=appeal.closed_at,
        disposition=appeal.disposition,
        disposition_note=appeal.disposition_note,
        reply_text=appeal.reply_text,
        resolved=appeal.resolved,
        satisfaction=appeal.satisfaction,
        reopen_count=appeal.reopen_count,
        excluded_from_rates=appeal.excluded_from_rates,
        unreasonable=_finding(appeal),
        unreasonable_application=_application(appeal),
        merged_into_id=appeal.merged_into_id,
        merged=[
            MergedOut(id=m.id, number=m.number, status=m.status)
            for m in queries.merged_into(session, appeal.id)
        ],
        timeline=timeline_out(session, appeal.id),
        attachments=[attachment_out(a) for a in queries.attachments(session, appeal.id)],
        callbacks=[CallbackOut.model_validate(c) for c in queries.callbacks(session, appeal.id)],
        extensions=[ExtensionOut.model_validate(e) for e in queries.extensions(session, appeal.id)],
        returns=[ReturnOut.model_validate(r) for r in queries.returns(session, appeal.id)],
        whistles=[WhistleOut.model_validate(w) for w in queries.whistles(session, appeal.id)],
        supervisions=[
            SupervisionOut.model_validate(s) for s in queries.supervisions(session, appeal.id)
        ],
        allowed_actions=offered_actions(
            AppealStatus(appeal.status),
            actor.roles,
            flow=Flow(appeal.flow),
            marked=appeal.excluded_from_rates,
            pending=appeal.unreasonable_applied_at is not None,
        ),
    )
