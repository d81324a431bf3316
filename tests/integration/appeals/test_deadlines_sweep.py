"""Deadlines from the level and the working calendar (with overrides), warnings derived on
read, and the idempotent deadline sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, submit

from civicgrid.appeals import queries, service
from civicgrid.appeals.deadlines import UrgencyLevel, WarningLevel
from civicgrid.appeals.jobs import SweepResult, sweep_deadlines
from civicgrid.appeals.models import Appeal, Supervision
from civicgrid.appeals.service.common import CENTRE
from civicgrid.appeals.states import AppealStatus
from civicgrid.errors import Forbidden, NotFound
from civicgrid.jobs.registry import default_jobs
from civicgrid.jobs.runner import run_job
from civicgrid.notify.models import OutboxMessage


def test_working_day_overrides_move_deadlines(
    session: Session, world: World, now: datetime
) -> None:
    plain = make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    with pytest.raises(Forbidden):
        service.set_working_day(
            session,
            day=date(2026, 11, 25),
            is_working=False,
            actor=world.actor("operator"),
            now=now,
        )
    for day in (25, 26, 27):
        service.set_working_day(
            session,
            day=date(2026, 11, day),
            is_working=False,
            note="临时停工",
            actor=world.actor("admin"),
            now=now,
        )
    assert [r.day.day for r in queries.working_day_overrides(session)] == [25, 26, 27]
    shifted = make_appeal(session, world=world, now=now, status=AppealStatus.DISPATCHED)
    assert plain.finish_due_at is not None
    assert shifted.finish_due_at is not None
    assert shifted.finish_due_at - plain.finish_due_at >= timedelta(days=3)
    service.set_working_day(
        session, day=date(2026, 11, 25), is_working=True, actor=world.actor("admin"), now=now
    )
    assert queries.load_calendar(session).is_working_day(date(2026, 11, 25))
    service.delete_working_day(session, day=date(2026, 11, 26), actor=world.actor("admin"), now=now)
    with pytest.raises(NotFound):
        service.delete_working_day(
            session, day=date(2026, 11, 26), actor=world.actor("admin"), now=now
        )


def test_warning_colours_are_derived_on_read(session: Session, world: World, now: datetime) -> None:
    appeal = submit(session, world, now=now, level=UrgencyLevel.EMERGENCY)  # dispatch within 1 h
    assert queries.warning_for(appeal, now) is WarningLevel.GREEN
    assert queries.warning_for(appeal, now + timedelta(minutes=50)) is WarningLevel.YELLOW
    assert queries.warning_for(appeal, now + timedelta(minutes=61)) is WarningLevel.RED
    later = now + timedelta(minutes=61)
    overdue = queries.list_for(
        session, world.actor("operator"), queries.AppealFilters(overdue=True), now=later
    )
    assert [a.id for a in overdue.items] == [appeal.id]
    red = queries.list_for(
        session, world.actor("operator"), queries.AppealFilters(warning=WarningLevel.RED), now=later
    )
    assert red.total == 1


def _overdue_flag(appeal: Appeal) -> datetime | None:
    return appeal.finish_overdue_at


def test_sweep_flags_and_reminds_once(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(
        session, world=world, now=now, status=AppealStatus.IN_PROGRESS, level=UrgencyLevel.EMERGENCY
    )  # feedback within 2 h
    assert sweep_deadlines(session, now=now).reminders == 0
    soon = now + timedelta(minutes=105)
    first = sweep_deadlines(session, now=soon)
    assert (first.flagged, first.reminders) == (0, 1)
    assert sweep_deadlines(session, now=soon).reminders == 0
    late = now + timedelta(hours=3)
    second = sweep_deadlines(session, now=late)
    assert (second.flagged, second.reminders) == (1, 1)
    assert appeal.finish_overdue_at == late
    again = sweep_deadlines(session, now=late + timedelta(minutes=5))
    assert (again.flagged, again.reminders) == (0, 0)
    keys = session.scalars(
        select(Supervision.sweep_key).where(Supervision.appeal_id == appeal.id)
    ).all()
    assert [k.split(":")[:2] for k in keys if k] == [
        ["feedback", "due_soon"],
        ["feedback", "overdue"],
    ]
    messages = session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_kind == "region")
    ).all()
    assert any("超期" in m.body for m in messages)
    # an approved extension moves the deadline: the order is no longer overdue
    service.request_extension(
        session,
        appeal_id=appeal.id,
        reason="协调",
        actor=world.actor("street_a"),
        new_due_at=now + timedelta(days=2),
        now=now + timedelta(minutes=100),
    )
    service.approve_extension(
        session, appeal_id=appeal.id, actor=world.actor("dispatcher"), now=late
    )
    assert _overdue_flag(appeal) is None
    assert queries.warning_for(appeal, late) is not WarningLevel.RED


def test_sweep_is_registered_and_runs_under_the_job_lock(engine: Engine, now: datetime) -> None:
    job = next(j for j in default_jobs() if j.name == "appeals.sweep_deadlines")
    result = run_job(engine, job, now)
    assert result.ran
    assert result.error == ""
    assert isinstance(result.result, SweepResult)


def _statements_of_sweep(session: Session, now: datetime) -> tuple[SweepResult, int]:
    """One sweep at ``now`` and the number of SQL statements it sent."""
    count = 0

    def before(*_: object) -> None:
        nonlocal count
        count += 1

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", before)
    try:
        result = sweep_deadlines(session, now=now)
    finally:
        event.remove(connection, "before_cursor_execute", before)
    return result, count


def test_a_sweep_without_news_costs_the_same_statements_for_any_number_of_open_appeals(
    session: Session, world: World, now: datetime
) -> None:
    def open_appeals(n: int) -> None:
        for _ in range(n):
            make_appeal(
                session,
                world=world,
                now=now,
                status=AppealStatus.IN_PROGRESS,
                level=UrgencyLevel.EMERGENCY,
            )

    late = now + timedelta(hours=3)  # every feedback deadline (2 h) has passed
    open_appeals(2)
    first, _ = _statements_of_sweep(session, late)
    assert (first.scanned, first.flagged, first.reminders) == (2, 2, 2)
    few, few_statements = _statements_of_sweep(session, late)
    assert (few.scanned, few.flagged, few.reminders) == (2, 0, 0)
    open_appeals(6)
    _statements_of_sweep(session, late)  # flags and reminds the six new ones
    many, many_statements = _statements_of_sweep(session, late)
    assert (many.scanned, many.flagged, many.reminders) == (8, 0, 0)
    assert many_statements == few_statements <= 3


def test_sweep_flags_an_overdue_dispatch_and_reminds_the_centre(
    session: Session, world: World, now: datetime
) -> None:
    appeal = submit(session, world, now=now, level=UrgencyLevel.EMERGENCY)  # dispatch within 1 h
    soon = sweep_deadlines(session, now=now + timedelta(minutes=50))
    assert (soon.flagged, soon.reminders) == (0, 1)
    late = now + timedelta(minutes=61)
    overdue = sweep_deadlines(session, now=late)
    assert (overdue.flagged, overdue.reminders) == (1, 1)
    assert appeal.dispatch_overdue_at == late
    assert appeal.finish_overdue_at is None
    keys = session.scalars(
        select(Supervision.sweep_key)
        .where(Supervision.appeal_id == appeal.id)
        .order_by(Supervision.id)
    ).all()
    assert [k.split(":")[:2] for k in keys if k] == [
        ["dispatch", "due_soon"],
        ["dispatch", "overdue"],
    ]
    centre = session.scalars(
        select(OutboxMessage).where(OutboxMessage.body == "派单已超期，请尽快办理")
    ).all()
    assert [m.recipient_kind for m in centre] == [CENTRE.kind]


def test_sweep_sets_a_missing_flag_even_when_the_reminder_was_already_written(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, now=now, status=AppealStatus.IN_PROGRESS, level=UrgencyLevel.EMERGENCY
    )
    late = now + timedelta(hours=3)
    assert sweep_deadlines(session, now=late).flagged == 1
    appeal.finish_overdue_at = None  # e.g. cleared by hand; the reminder for this due time stays
    session.commit()
    again = sweep_deadlines(session, now=late + timedelta(minutes=5))
    assert (again.flagged, again.reminders) == (1, 0)
    assert appeal.finish_overdue_at == late + timedelta(minutes=5)
