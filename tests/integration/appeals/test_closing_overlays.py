"""Callback, reopen, merged callbacks, grid verification, whistles, supervision, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal, submit
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.models import AppendOnlyError, TimelineEvent
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound

S = AppealStatus


def test_callback_close(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    op = world.actor("operator")
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.callback(
            session, appeal_id=appeal.id, resolved=True, satisfaction=None, actor=op, now=now
        )
    with pytest.raises(Forbidden):
        service.callback(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("street_a"),
            now=now,
        )
    assert state_of(session, appeal.id) == before
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.FAIRLY_SATISFIED,
        actor=op,
        now=now,
    )
    assert appeal.status == S.CLOSED
    assert appeal.satisfaction == "fairly_satisfied"
    assert appeal.closed_at == now
    assert [c.satisfaction for c in queries.callbacks(session, appeal.id)] == ["fairly_satisfied"]
    with pytest.raises(InvalidTransition):
        service.callback(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=op,
            now=now,
        )


def test_callback_reopen_restarts_the_deadline(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    op = world.actor("operator")
    later = now + timedelta(days=3)
    with pytest.raises(Invalid):  # reopen needs a reason
        service.callback(
            session,
            appeal_id=appeal.id,
            resolved=False,
            satisfaction=Satisfaction.DISSATISFIED,
            reopen=True,
            actor=op,
            now=later,
        )
    old_due = appeal.finish_due_at
    assert old_due is not None
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        reopen=True,
        reason="没有解决",
        actor=op,
        now=later,
    )
    assert appeal.status == S.IN_PROGRESS
    assert appeal.reopen_count == 1
    assert appeal.finish_due_at is not None
    assert appeal.finish_due_at > old_due
    assert actions_of(session, appeal.id)[-1] == "reopen"


def test_close_without_callback(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    with pytest.raises(Invalid):
        service.close_without_callback(
            session, appeal_id=appeal.id, reason="", actor=world.actor("operator"), now=now
        )
    service.close_without_callback(
        session, appeal_id=appeal.id, reason="三次未接通", actor=world.actor("operator"), now=now
    )
    assert appeal.status == S.CLOSED


def test_every_merged_caller_is_called_back(session: Session, world: World, now: datetime) -> None:
    target = submit(session, world, now=now)
    dups = [submit(session, world, now=now, caller_phone=f"1390000000{i}") for i in range(2)]
    op = world.actor("operator")
    for dup in dups:
        service.merge(session, appeal_id=dup.id, target_number=target.number, actor=op, now=now)
    with pytest.raises(InvalidTransition):  # the main order has no reply yet
        service.callback(
            session,
            appeal_id=dups[0].id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=op,
            now=now,
        )
    service.dispatch(
        session, appeal_id=target.id, lead=world.street_a, actor=world.actor("dispatcher"), now=now
    )
    for step in (service.sign, service.contact):
        step(session, appeal_id=target.id, actor=world.actor("street_a"), now=now)
    service.reply(
        session, appeal_id=target.id, text="已处理", actor=world.actor("street_a"), now=now
    )
    with pytest.raises(Forbidden):
        service.callback(
            session,
            appeal_id=dups[0].id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("dispatcher"),
            now=now,
        )
    service.callback(
        session,
        appeal_id=dups[0].id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        actor=op,
        now=now,
    )
    service.callback(
        session,
        appeal_id=dups[1].id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        actor=op,
        now=now,
    )
    service.callback(
        session,
        appeal_id=target.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        actor=op,
        now=now,
    )
    assert [d.status for d in dups] == [S.MERGED, S.MERGED]
    assert [d.satisfaction for d in dups] == ["satisfied", "dissatisfied"]
    assert len(queries.callbacks(session, dups[1].id)) == 1
    assert target.status == S.CLOSED


def test_grid_verification(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(
        session,
        world=world,
        now=now,
        status=S.PENDING_VERIFICATION,
        grid=True,
        lead=world.department,
    )
    with pytest.raises(NotFound):
        service.verify(
            session, appeal_id=appeal.id, fixed=True, actor=world.actor("grid_a2"), now=now
        )
    with pytest.raises(Forbidden):
        service.verify(
            session, appeal_id=appeal.id, fixed=True, actor=world.actor("street_a"), now=now
        )
    with pytest.raises(Invalid):
        service.verify(
            session, appeal_id=appeal.id, fixed=False, actor=world.actor("grid_a1"), now=now
        )
    service.verify(
        session,
        appeal_id=appeal.id,
        fixed=False,
        note="井盖仍松动",
        actor=world.actor("grid_a1"),
        now=now,
    )
    assert appeal.status == S.IN_PROGRESS
    service.reply(
        session, appeal_id=appeal.id, text="已更换", actor=world.actor("department"), now=now
    )
    service.verify(session, appeal_id=appeal.id, fixed=True, actor=world.actor("grid_a1"), now=now)
    assert appeal.status == S.CLOSED
    assert appeal.resolved is True


def test_whistle_and_arrivals(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    street = world.actor("street_a")
    dept_id = world.department[1]
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.whistle(
            session, appeal_id=appeal.id, department_ids=[], reason="x", actor=street, now=now
        )
    with pytest.raises(Invalid):
        service.whistle(
            session,
            appeal_id=appeal.id,
            department_ids=[dept_id],
            reason="x",
            arrive_within_minutes=0,
            actor=street,
            now=now,
        )
    with pytest.raises(Invalid):
        service.whistle(
            session, appeal_id=appeal.id, department_ids=[99999], reason="x", actor=street, now=now
        )
    with pytest.raises(Invalid):
        service.whistle(
            session,
            appeal_id=appeal.id,
            department_ids=[dept_id],
            reason="x",
            kind="loud",
            actor=street,
            now=now,
        )
    assert state_of(session, appeal.id) == before
    row = service.whistle(
        session,
        appeal_id=appeal.id,
        department_ids=[dept_id, dept_id],
        reason="违建拆除",
        kind="tackle",
        actor=street,
        now=now,
    )
    assert row.arrive_by == now + timedelta(minutes=30)
    assert len(row.summons) == 1
    assert appeal.status == S.IN_PROGRESS
    # the summoned department now sees the order and reports, late
    late = now + timedelta(minutes=45)
    summons = service.record_arrival(
        session,
        appeal_id=appeal.id,
        whistle_id=row.id,
        department_id=dept_id,
        actor=world.actor("department"),
        now=late,
    )
    assert summons.arrived_at == late
    event = queries.timeline(session, appeal.id)[-1]
    assert event.detail["late"] is True
    with pytest.raises(Invalid):
        service.record_arrival(
            session,
            appeal_id=appeal.id,
            whistle_id=row.id,
            department_id=dept_id,
            actor=street,
            now=late,
        )
    with pytest.raises(NotFound):
        service.record_arrival(
            session,
            appeal_id=appeal.id,
            whistle_id=row.id + 1000,
            department_id=dept_id,
            actor=street,
            now=late,
        )


def test_supervise_and_remind(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.DISPATCHED)
    with pytest.raises(Invalid):
        service.supervise(
            session, appeal_id=appeal.id, text="", actor=world.actor("leader"), now=now
        )
    with pytest.raises(Forbidden):
        service.supervise(
            session, appeal_id=appeal.id, text="快办", actor=world.actor("operator"), now=now
        )
    service.supervise(
        session, appeal_id=appeal.id, text="请今日签收", actor=world.actor("leader"), now=now
    )
    service.remind(session, appeal_id=appeal.id, actor=world.actor("dispatcher"), now=now)
    assert [s.kind for s in queries.supervisions(session, appeal.id)] == ["supervision", "reminder"]
    assert appeal.status == S.DISPATCHED
    received = submit(session, world, now=now)
    with pytest.raises(InvalidTransition):
        service.remind(session, appeal_id=received.id, actor=world.actor("dispatcher"), now=now)


def test_timeline_is_append_only(session: Session, world: World, now: datetime) -> None:
    appeal = submit(session, world, now=now)
    event = session.query(TimelineEvent).filter_by(appeal_id=appeal.id).one()
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    event = session.query(TimelineEvent).filter_by(appeal_id=appeal.id).one()
    session.delete(event)
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()


def test_expected_version(session: Session, world: World, now: datetime) -> None:
    appeal = submit(session, world, now=now)
    version = appeal.version
    with pytest.raises(Conflict):
        service.accept(
            session,
            appeal_id=appeal.id,
            actor=world.actor("operator"),
            now=now,
            expected_version=version + 1,
        )
    service.accept(
        session,
        appeal_id=appeal.id,
        actor=world.actor("operator"),
        now=now,
        expected_version=version,
    )
    assert appeal.version == version + 1
