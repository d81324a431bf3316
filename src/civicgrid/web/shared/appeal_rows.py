"""The list row every appeal list shows (intake callbacks, inbox, supervision, dispatch queue,
grid tasks, portal) and :func:`list_rows`, one page of the appeals an actor may see as rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.states import TERMINAL_STATUSES, AppealStatus
from civicgrid.auth.actor import Actor

OPEN_STATUSES = tuple(s.value for s in AppealStatus if s not in TERMINAL_STATUSES)
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class AppealRow:
    """One line of an appeal list, with the running deadline's colour."""

    id: int
    number: str
    title: str
    address: str
    status: str
    status_label: str
    status_colour: str
    type_label: str
    channel_label: str
    level_label: str
    received_at: datetime
    lead_unit: str
    due_at: datetime | None
    due_kind: str
    warning: str
    warning_label: str
    version: int
    reply_text: str = ""


DUE_KIND_LABELS = {"dispatch": "派单时限", "response": "响应时限", "feedback": "办结时限"}


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def appeal_row(appeal: queries.AppealRecord, now: datetime) -> AppealRow:
    """The list view of one appeal (no extra query: units are loaded with the appeal)."""
    status = AppealStatus(appeal.status)
    lead = queries.lead_unit(appeal)
    deadline = queries.running_deadline(appeal)
    warning = queries.warning_for(appeal, now)
    return AppealRow(
        id=appeal.id,
        number=appeal.number,
        title=appeal.title,
        address=appeal.address,
        status=status.value,
        status_label=status.label,
        status_colour=status.colour.value,
        type_label=_label(AppealType, appeal.appeal_type),
        channel_label=_label(Channel, appeal.channel),
        level_label=_label(UrgencyLevel, appeal.level),
        received_at=appeal.received_at,
        lead_unit=lead.unit_name if lead else "",
        due_at=deadline.due if deadline else None,
        due_kind=DUE_KIND_LABELS.get(deadline.kind, "") if deadline else "",
        warning=warning.value if warning else "",
        warning_label=warning.label if warning else "",
        version=appeal.version,
        reply_text=appeal.reply_text or "",
    )


def list_rows(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    statuses: list[str],
    overdue: bool = False,
    warning: WarningLevel | None = None,
    text: str = "",
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> tuple[list[AppealRow], int]:
    """One page of the appeals ``actor`` may see, as list rows, and the number of matches."""
    rows, total, _capped = capped_rows(
        session,
        actor,
        now,
        statuses=statuses,
        overdue=overdue,
        warning=warning,
        text=text,
        offset=offset,
        limit=limit,
    )
    return rows, total


def capped_rows(
    session: Session,
    actor: Actor,
    now: datetime,
    *,
    statuses: list[str],
    overdue: bool = False,
    warning: WarningLevel | None = None,
    text: str = "",
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> tuple[list[AppealRow], int, bool]:
    """:func:`list_rows`, and whether the number of matches is only a lower bound (a text
    search counts up to :data:`~civicgrid.appeals.queries.access.TEXT_COUNT_CAP`)."""
    page = queries.list_for(
        session,
        actor,
        queries.AppealFilters(
            statuses=statuses,
            overdue=True if overdue else None,
            warning=warning,
            text=text.strip() or None,
            offset=offset,
            limit=limit,
        ),
        now=now,
    )
    return [appeal_row(a, now) for a in page.items], page.total, page.total_capped
