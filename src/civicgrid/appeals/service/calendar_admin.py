"""The working-day override table (节假日调整): an administrator marks a date as working or rest
when the official calendar the software knows is missing or wrong for it, and the use cases that
compute deadlines read the calendar through :func:`working_calendar`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.appeals.models import WorkingDayOverride
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, NotFound

SUBJECT = "working_day_override"
_CALENDAR = "civicgrid.appeals.calendar"
_EDITED = "civicgrid.appeals.calendar_edited"


def working_calendar(session: Session) -> WorkingCalendar:
    """The working calendar (chinese-calendar plus the override table), read once per session:
    a web request, a job run or the demo build reads the table once however many deadlines it
    computes. A session that edits the table reads it afresh every time, so its own deadlines
    follow the edit and a rolled-back edit leaves nothing behind; other sessions see the edit
    from their next start (the calendar is a working-day table edited a few times a year)."""
    if session.info.get(_EDITED):
        return queries.load_calendar(session)
    calendar: WorkingCalendar | None = session.info.get(_CALENDAR)
    if calendar is None:
        calendar = queries.load_calendar(session)
        session.info[_CALENDAR] = calendar
    return calendar


def _edited(session: Session) -> None:
    session.info[_EDITED] = True
    session.info.pop(_CALENDAR, None)


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有系统管理员可以调整工作日")


@use_case
def set_working_day(
    session: Session, *, day: date, is_working: bool, note: str = "", actor: Actor, now: datetime
) -> WorkingDayOverride:
    """Declare ``day`` a working day or a rest day; replaces an earlier override of that day.
    Deadlines computed from now on follow it; stored deadlines keep their value."""
    _require_admin(actor)
    _edited(session)
    row = session.get(WorkingDayOverride, day)
    before = None if row is None else row.is_working
    if row is None:
        row = WorkingDayOverride(day=day, is_working=is_working)
        session.add(row)
    row.is_working = is_working
    row.note = note.strip()[:200]
    row.updated_at = now
    row.updated_by_user_id = actor.user_id
    record(
        session,
        actor=actor,
        action="calendar.set_day",
        subject_type=SUBJECT,
        subject_id=day.isoformat(),
        now=now,
        reason=row.note,
        detail={"is_working": is_working, "before": before},
    )
    return row


@use_case
def delete_working_day(session: Session, *, day: date, actor: Actor, now: datetime) -> None:
    """Remove the override of ``day``: the official calendar applies again."""
    _require_admin(actor)
    _edited(session)
    row = session.get(WorkingDayOverride, day)
    if row is None:
        raise NotFound(f"{day} 没有调整记录")
    record(
        session,
        actor=actor,
        action="calendar.delete_day",
        subject_type=SUBJECT,
        subject_id=day.isoformat(),
        now=now,
        detail={"is_working": row.is_working},
    )
    session.delete(row)
