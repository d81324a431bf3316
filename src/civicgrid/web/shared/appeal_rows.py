"""The list row every appeal list shows (intake callbacks, inbox, supervision, dispatch queue,
grid tasks, portal) and :func:`list_rows`, one page of the appeals an actor may see as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.channels import AppealType, Channel
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.states import TERMINAL_STATUSES, AppealStatus
from civicgrid.auth.actor import Actor

OPEN_STATUSES = tuple(s.value for s in AppealStatus if s not in TERMINAL_STATUSES)
PAGE_SIZE = 50


class RowFilters(TypedDict, total=False):
    """The filters of a list of appeal rows, the keyword arguments of :func:`list_rows` and
    :func:`capped_rows` (only ``statuses`` is required; an empty list means every status)."""

    statuses: Required[Sequence[str]]
    overdue: bool
    warning: WarningLevel | None
    text: str
    offset: int
    limit: int


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


@dataclass(frozen=True, slots=True)
class RowPage:
    """One page of rows and the number of matches (at least ``total`` when ``capped``)."""

    rows: list[AppealRow]
    total: int
    capped: bool = False


def list_rows(
    session: Session, actor: Actor, now: datetime, **filters: Unpack[RowFilters]
) -> tuple[list[AppealRow], int]:
    """One page of the appeals ``actor`` may see, as list rows, and the exact number of
    matches."""
    page = _page(session, actor, now, filters, exact_total=True)
    return page.rows, page.total


def capped_rows(
    session: Session, actor: Actor, now: datetime, **filters: Unpack[RowFilters]
) -> RowPage:
    """One page of rows and the number of matches counted up to
    :data:`~civicgrid.appeals.queries.access.TEXT_COUNT_CAP` (``capped`` beyond): for the
    lists whose matches can be most of a city's appeals (the inbox's status filters)."""
    return _page(session, actor, now, filters, exact_total=False)


def _page(
    session: Session, actor: Actor, now: datetime, filters: RowFilters, *, exact_total: bool
) -> RowPage:
    page = queries.list_for(
        session,
        actor,
        queries.AppealFilters(
            statuses=filters["statuses"],
            overdue=True if filters.get("overdue") else None,
            warning=filters.get("warning"),
            text=filters.get("text", "").strip() or None,
            offset=filters.get("offset", 0),
            limit=filters.get("limit", PAGE_SIZE),
            exact_total=exact_total,
        ),
        now=now,
    )
    return RowPage([appeal_row(a, now) for a in page.items], page.total, page.total_capped)
