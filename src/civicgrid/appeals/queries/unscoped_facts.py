"""Facts of every appeal, without data scope: set-based reads for the assessment (三率
rollups, drill-downs). The assessment recomputes facts for millions of appeals, so these hand
out ``select()`` statements and plain rows, not ORM objects, and apply no data scope: the
assessment counts every appeal, and its own read side decides who sees which unit.

Import as ``from civicgrid.appeals.queries import unscoped_facts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from civicgrid.appeals.models import Appeal, AppealUnit, Callback, TimelineEvent

# The columns of :func:`assessment_source`, in order.
SOURCE_COLUMNS = (
    "appeal_id",
    "status",
    "disposition",
    "excluded_from_rates",
    "response_due_at",
    "signed_at",
    "contacted_at",
    "closed_at",
    "resolved",
    "satisfaction",
    "unit_kind",
    "unit_id",
    "unit_path",
    "callback_at",
)


def assessment_source(
    *,
    appeal_ids: Sequence[int] | None = None,
    lead_only: bool = False,
    leave_out_status: str | None = None,
) -> Select[*tuple[Any, ...]]:
    """One row per appeal with what its assessment depends on (:data:`SOURCE_COLUMNS`): the
    appeal's own columns, its active lead unit (kind, id, region path; NULL without one) and
    the time of its latest callback (NULL without one; ``func.max`` loses the column type on
    SQLite, which then returns naive UTC text).

    ``appeal_ids`` limits the appeals (and the callbacks aggregated for them); ``lead_only``
    keeps only appeals with an active lead unit; ``leave_out_status`` drops appeals in that
    status."""
    lead = aliased(AppealUnit)
    latest_stmt = select(Callback.appeal_id, func.max(Callback.at).label("at"))
    if appeal_ids is not None:
        latest_stmt = latest_stmt.where(Callback.appeal_id.in_(appeal_ids))
    latest = latest_stmt.group_by(Callback.appeal_id).subquery()
    on_lead = and_(lead.appeal_id == Appeal.id, lead.role == "lead", lead.released_at.is_(None))
    stmt = select(
        Appeal.id.label("appeal_id"),
        Appeal.status.label("status"),
        Appeal.disposition.label("disposition"),
        Appeal.excluded_from_rates.label("excluded_from_rates"),
        Appeal.response_due_at.label("response_due_at"),
        Appeal.signed_at.label("signed_at"),
        Appeal.contacted_at.label("contacted_at"),
        Appeal.closed_at.label("closed_at"),
        Appeal.resolved.label("resolved"),
        Appeal.satisfaction.label("satisfaction"),
        lead.unit_kind.label("unit_kind"),
        lead.unit_id.label("unit_id"),
        lead.unit_path.label("unit_path"),
        latest.c.at.label("callback_at"),
    )
    stmt = stmt.join(lead, on_lead) if lead_only else stmt.outerjoin(lead, on_lead)
    stmt = stmt.outerjoin(latest, latest.c.appeal_id == Appeal.id)
    if appeal_ids is not None:
        stmt = stmt.where(Appeal.id.in_(appeal_ids))
    if leave_out_status is not None:
        stmt = stmt.where(Appeal.status != leave_out_status)
    return stmt


def count_appeals(session: Session) -> int:
    """How many appeals are stored (every status)."""
    return int(session.scalar(select(func.count()).select_from(Appeal)) or 0)


def appeal_ids_with_events_after(session: Session, event_id: int) -> set[int]:
    """Appeals with a timeline event whose id is above ``event_id`` (the timeline is
    append-only and records every change, so these are the appeals changed since)."""
    stmt = select(TimelineEvent.appeal_id).where(TimelineEvent.id > event_id).distinct()
    return {int(i) for i in session.scalars(stmt)}


def last_event_id_settled(session: Session, *, after: int, at_or_before: datetime) -> int | None:
    """The highest timeline event id above ``after`` whose event happened at or before
    ``at_or_before``; None when there is none."""
    found = session.scalar(
        select(func.max(TimelineEvent.id)).where(
            TimelineEvent.id > after, TimelineEvent.at <= at_or_before
        )
    )
    return int(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class AppealHeader:
    """What a list of counted appeals shows of each: number, title, status, receipt."""

    number: str
    title: str
    status: str
    received_at: datetime


def appeal_headers(session: Session, appeal_ids: Sequence[int]) -> dict[int, AppealHeader]:
    """Headers of the given appeals by id (missing ids are left out)."""
    wanted = sorted(set(appeal_ids))
    if not wanted:
        return {}
    stmt = select(Appeal.id, Appeal.number, Appeal.title, Appeal.status, Appeal.received_at)
    rows = session.execute(stmt.where(Appeal.id.in_(wanted)))
    return {
        int(aid): AppealHeader(number, title, status, received_at)
        for aid, number, title, status, received_at in rows
    }
