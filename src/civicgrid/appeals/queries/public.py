"""Read side of appeals, public: what a reporter's application may read of appeals through an
interop protocol (Open311) — the status, the lead unit's name, the deadline, the last change,
the text told to the caller and the public steps of the timeline.

The caller picks the appeals (a subquery of ids, e.g. those its own protocol filed); nothing
here widens that choice. Never the caller's identity, staff names or internal notes: an event's
note leaves only for the actions whose text is addressed to the caller
(:data:`CALLER_FACING_ACTIONS`), and confidential appeals are never read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.queries.access import running_deadline
from civicgrid.appeals.queries.records import lead_unit
from civicgrid.appeals.workflow import Action

CALLER_FACING_ACTIONS: Final = frozenset(
    {
        Action.REPLY.value,
        Action.ANSWER_DIRECTLY.value,
        Action.REDIRECT_LEGAL_ROUTE.value,
        Action.EXPLAIN.value,
    }
)
"""Actions whose note is the text given to the caller (the reply, the answer at intake, the
legal route, the explanation); every other note is internal."""

SUBMIT_ACTION: Final = "submit"
IdSelection = Select[int]


@dataclass(frozen=True, slots=True)
class PublicAppeal:
    """The public state of one appeal."""

    id: int
    number: str
    status: str
    address: str
    lon: float | None
    lat: float | None
    received_at: datetime
    updated_at: datetime
    due_at: datetime | None
    """The running deadline, else the finish deadline (办结时限) once one was set."""
    lead_unit: str
    public_note: str
    """The latest text told to the caller ("" before there is one)."""


@dataclass(frozen=True, slots=True)
class PublicStep:
    """One public step of an appeal's timeline: a change of status or a text to the caller."""

    event_id: int
    appeal_id: int
    number: str
    action: str
    to_status: str
    at: datetime
    note: str
    """The text told to the caller for :data:`CALLER_FACING_ACTIONS`, else ""."""


def public_appeals(
    session: Session,
    ids: IdSelection,
    *,
    statuses: Collection[str] | None = None,
    offset: int = 0,
    limit: int = 1000,
) -> list[PublicAppeal]:
    """The appeals among ``ids`` (in ``statuses`` when given), newest first, one page. Three
    statements: the appeals (with their units), the last event times, the caller-facing notes."""
    stmt = (
        select(Appeal)
        .where(Appeal.id.in_(ids), Appeal.confidential.is_(False))
        .order_by(Appeal.received_at.desc(), Appeal.id.desc())
        .offset(max(0, offset))
        .limit(max(1, limit))
    )
    if statuses is not None:
        stmt = stmt.where(Appeal.status.in_(list(statuses)))
    appeals = session.scalars(stmt).all()
    page_ids = [a.id for a in appeals]
    updated = _last_event_times(session, page_ids)
    notes = _caller_notes(session, page_ids)
    out = []
    for appeal in appeals:
        deadline = running_deadline(appeal)
        lead = lead_unit(appeal)
        out.append(
            PublicAppeal(
                id=appeal.id,
                number=appeal.number,
                status=appeal.status,
                address=appeal.address,
                lon=appeal.lon,
                lat=appeal.lat,
                received_at=appeal.received_at,
                updated_at=updated.get(appeal.id, appeal.received_at),
                due_at=deadline.due if deadline is not None else appeal.finish_due_at,
                lead_unit=lead.unit_name if lead is not None else "",
                public_note=notes.get(appeal.id, ""),
            )
        )
    return out


def _last_event_times(session: Session, appeal_ids: Sequence[int]) -> dict[int, datetime]:
    if not appeal_ids:
        return {}
    rows = session.execute(
        select(TimelineEvent.appeal_id, func.max(TimelineEvent.id))
        .where(TimelineEvent.appeal_id.in_(appeal_ids))
        .group_by(TimelineEvent.appeal_id)
    ).all()
    last_ids = [int(event_id) for _, event_id in rows]
    if not last_ids:
        return {}
    times = session.execute(
        select(TimelineEvent.appeal_id, TimelineEvent.at).where(TimelineEvent.id.in_(last_ids))
    ).all()
    return {int(appeal_id): at for appeal_id, at in times}


def _caller_notes(session: Session, appeal_ids: Sequence[int]) -> dict[int, str]:
    if not appeal_ids:
        return {}
    rows = session.execute(
        select(TimelineEvent.appeal_id, TimelineEvent.note)
        .where(
            TimelineEvent.appeal_id.in_(appeal_ids),
            TimelineEvent.action.in_(sorted(CALLER_FACING_ACTIONS)),
        )
        .order_by(TimelineEvent.id)
    ).all()
    return {int(appeal_id): note for appeal_id, note in rows}  # the latest wins


def count_public_appeals(
    session: Session, ids: IdSelection, *, statuses: Collection[str] | None = None
) -> int:
    """How many appeals :func:`public_appeals` would list over all pages."""
    stmt = (
        select(func.count())
        .select_from(Appeal)
        .where(Appeal.id.in_(ids), Appeal.confidential.is_(False))
    )
    if statuses is not None:
        stmt = stmt.where(Appeal.status.in_(list(statuses)))
    return int(session.scalar(stmt) or 0)


def public_steps(
    session: Session,
    ids: IdSelection,
    *,
    since: datetime,
    until: datetime,
    limit: int = 1000,
) -> list[PublicStep]:
    """The public steps of the appeals among ``ids`` at ``since`` ≤ at ≤ ``until``, oldest
    first: intake, every change of status and every text to the caller (overlays such as
    supervision and reminders, and notes of other actions, stay internal)."""
    stmt = (
        select(
            TimelineEvent.id,
            TimelineEvent.appeal_id,
            Appeal.number,
            TimelineEvent.action,
            TimelineEvent.to_status,
            TimelineEvent.at,
            TimelineEvent.note,
        )
        .join(Appeal, Appeal.id == TimelineEvent.appeal_id)
        .where(
            TimelineEvent.appeal_id.in_(ids),
            Appeal.confidential.is_(False),
            TimelineEvent.at >= since,
            TimelineEvent.at <= until,
            (TimelineEvent.to_status != TimelineEvent.from_status)
            | TimelineEvent.action.in_(sorted(CALLER_FACING_ACTIONS | {SUBMIT_ACTION})),
        )
        .order_by(TimelineEvent.at, TimelineEvent.id)
        .limit(max(1, limit))
    )
    return [
        PublicStep(
            event_id=int(event_id),
            appeal_id=int(appeal_id),
            number=str(number),
            action=str(action),
            to_status=str(to_status),
            at=at,
            note=str(note) if action in CALLER_FACING_ACTIONS else "",
        )
        for event_id, appeal_id, number, action, to_status, at, note in session.execute(stmt)
    ]
