"""What one workflow step sends to the database: the appeal and its units in one SELECT, the
change with its timeline event, outbox messages and audit row in one flush, the working calendar
and the units read once per session — and edits of either within the session still count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals import service
from civicgrid.appeals.models import TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid
from civicgrid.notify.models import OutboxMessage
from civicgrid.territory import queries as territory_queries

S = AppealStatus
_TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


@contextmanager
def statements_of(session: Session) -> Iterator[list[str]]:
    """The SQL statements run inside the block, without the test transaction's savepoints."""
    seen: list[str] = []
    conn = session.connection()

    def listener(*args: object) -> None:
        statement = str(args[2]).lstrip()
        if not statement.upper().startswith(_TRANSACTION_CONTROL):
            seen.append(" ".join(statement.split())[:80])

    event.listen(conn, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", listener)


def _kinds(statements: list[str]) -> list[str]:
    return sorted(s.split(" ", 1)[0] for s in statements)


def test_sign_is_one_select_and_one_flush(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.DISPATCHED)
    session.expunge_all()  # as in a new request: nothing of the appeal is loaded
    with statements_of(session) as seen:
        signed = service.sign(session, appeal_id=appeal.id, actor=world.actor("street_a"), now=now)
    assert signed.status == S.SIGNED
    # the appeal with its units; the status change; the timeline event; the audit row
    assert _kinds(seen) == ["INSERT", "INSERT", "SELECT", "UPDATE"], seen
    assert [u.unit_kind for u in signed.units] == ["region"]


def test_a_notified_step_writes_event_outbox_and_audit_together(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.RECEIVED)
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
    audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    with statements_of(session) as seen:
        service.accept(session, appeal_id=appeal.id, actor=world.actor("operator"), now=now)
    assert _kinds(seen) == ["INSERT", "INSERT", "INSERT", "SELECT", "UPDATE"], seen
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == outbox + 1
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits + 1
    last = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.appeal_id == appeal.id)
        .order_by(TimelineEvent.id.desc())
    ).first()
    assert last is not None
    assert (last.action, last.from_status, last.to_status) == (
        "accept",
        "received",
        "pending_dispatch",
    )


def test_calendar_and_units_are_read_once_per_session(
    session: Session, world: World, now: datetime
) -> None:
    first = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    second = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    disp, department = world.actor("dispatcher"), world.department
    service.dispatch(session, appeal_id=first.id, lead=department, actor=disp, now=now)
    with statements_of(session) as seen:
        service.dispatch(session, appeal_id=second.id, lead=department, actor=disp, now=now)
    # no calendar or department read: the appeal; the unit row, the change, event, outbox, audit
    # and the outbound appeal.dispatched event: an outbox row that PostgreSQL inserts together
    # with the unit's message (insertmanyvalues), SQLite in a statement of its own
    inserts = 4 if session.get_bind().dialect.name == "postgresql" else 5
    assert _kinds(seen) == ["INSERT"] * inserts + ["SELECT", "UPDATE"], seen
    assert second.finish_due_at == first.finish_due_at


def test_a_department_deactivated_in_the_session_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    first = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    second = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    disp = world.actor("dispatcher")
    service.dispatch(session, appeal_id=first.id, lead=world.department, actor=disp, now=now)
    department = territory_queries.find_department(session, world.department[1])
    assert department is not None
    department.is_active = False
    session.flush()
    with pytest.raises(Invalid, match="已停用"):
        service.dispatch(session, appeal_id=second.id, lead=world.department, actor=disp, now=now)
    assert second.status == S.PENDING_DISPATCH


def test_an_override_edited_in_the_session_moves_later_deadlines(
    session: Session, world: World, now: datetime
) -> None:
    admin = Actor.system("test")
    assert admin.has_role(Role.ADMIN)
    disp = world.actor("dispatcher")
    first = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    service.dispatch(session, appeal_id=first.id, lead=world.street_a, actor=disp, now=now)
    assert first.finish_due_at is not None
    due_day = first.finish_due_at.astimezone(BEIJING).date()
    # make every day up to the old deadline a rest day: the feedback deadline must move later
    day = now.astimezone(BEIJING).date()
    while day < due_day:
        day += timedelta(days=1)
        service.set_working_day(session, day=day, is_working=False, actor=admin, now=now)
    second = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    service.dispatch(session, appeal_id=second.id, lead=world.street_a, actor=disp, now=now)
    assert second.finish_due_at is not None
    assert second.finish_due_at > first.finish_due_at
    # and removing the overrides brings the old deadline back, still within the session
    day = now.astimezone(BEIJING).date()
    while day < due_day:
        day += timedelta(days=1)
        service.delete_working_day(session, day=day, actor=admin, now=now)
    third = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    service.dispatch(session, appeal_id=third.id, lead=world.street_a, actor=disp, now=now)
    assert third.finish_due_at == first.finish_due_at
