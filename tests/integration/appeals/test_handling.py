"""Handling: dispatch, sign, contact, send back, extension, termination, parking, reply."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound

S = AppealStatus


def test_dispatch_sets_units_and_deadlines(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    service.dispatch(
        session,
        appeal_id=appeal.id,
        lead=world.department,
        co_units=[world.street_a, world.utility],
        actor=world.actor("dispatcher"),
        now=now,
    )
    assert appeal.status == S.DISPATCHED
    units = queries.active_units(appeal)
    assert [(u.role, u.unit_kind) for u in units] == [
        ("lead", "department"),
        ("co", "region"),
        ("co", "utility"),
    ]
    assert appeal.response_due_at is not None
    assert appeal.finish_due_at is not None
    assert appeal.finish_due_at > appeal.response_due_at > now
    # re-dispatch before signing releases the earlier units
    service.dispatch(
        session, appeal_id=appeal.id, lead=world.street_a, actor=world.actor("dispatcher"), now=now
    )
    assert [(u.role, u.unit_kind) for u in queries.active_units(appeal)] == [("lead", "region")]
    assert len(appeal.units) == 4


def test_dispatch_refusals_change_nothing(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.PENDING_DISPATCH)
    before = state_of(session, appeal.id)
    disp = world.actor("dispatcher")
    with pytest.raises(Invalid):
        service.dispatch(
            session, appeal_id=appeal.id, lead=("department", 99999), actor=disp, now=now
        )
    with pytest.raises(Invalid):
        service.dispatch(session, appeal_id=appeal.id, lead=("planet", 1), actor=disp, now=now)
    community = world.territory.region(world.territory.COMMUNITY_A1).id
    with pytest.raises(Invalid):  # a community is not a unit
        service.dispatch(
            session, appeal_id=appeal.id, lead=("region", community), actor=disp, now=now
        )
    with pytest.raises(Invalid):
        service.dispatch(
            session,
            appeal_id=appeal.id,
            lead=world.street_a,
            co_units=[world.street_a],
            actor=disp,
            now=now,
        )
    with pytest.raises(Forbidden):
        service.dispatch(
            session,
            appeal_id=appeal.id,
            lead=world.street_a,
            actor=world.actor("street_a"),
            now=now,
        )
    with pytest.raises(NotFound):
        service.dispatch(
            session,
            appeal_id=appeal.id,
            lead=world.street_a,
            actor=world.actor("district_b_operator"),
            now=now,
        )
    with pytest.raises(Conflict):
        service.dispatch(
            session,
            appeal_id=appeal.id,
            lead=world.street_a,
            actor=disp,
            now=now,
            expected_version=appeal.version - 1,
        )
    assert state_of(session, appeal.id) == before


def test_only_the_lead_unit_signs_and_contacts(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.DISPATCHED, lead=world.department)
    before = state_of(session, appeal.id)
    with pytest.raises(NotFound):  # the utility does not even see it
        service.sign(session, appeal_id=appeal.id, actor=world.actor("utility"), now=now)
    with pytest.raises(InvalidTransition):
        service.contact(session, appeal_id=appeal.id, actor=world.actor("department"), now=now)
    assert state_of(session, appeal.id) == before
    service.sign(session, appeal_id=appeal.id, actor=world.actor("department"), now=now)
    service.contact(session, appeal_id=appeal.id, actor=world.actor("department"), now=now)
    assert appeal.status == S.IN_PROGRESS
    assert appeal.signed_at == now
    assert appeal.contacted_at == now
    assert actions_of(session, appeal.id)[-2:] == ["sign", "contact"]


def test_street_handler_of_another_street_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.DISPATCHED, lead=world.department)
    service.dispatch(
        session, appeal_id=appeal.id, lead=world.street_b, actor=world.actor("dispatcher"), now=now
    )
    before = state_of(session, appeal.id)
    with pytest.raises(Forbidden):  # street A sees the order (located there) but is not the lead
        service.sign(session, appeal_id=appeal.id, actor=world.actor("street_a"), now=now)
    assert state_of(session, appeal.id) == before
    service.sign(session, appeal_id=appeal.id, actor=world.actor("street_b"), now=now)


def test_send_back_reviewed(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.DISPATCHED)
    unit, disp = world.actor("street_a"), world.actor("dispatcher")
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.request_return(session, appeal_id=appeal.id, reason=" ", actor=unit, now=now)
    assert state_of(session, appeal.id) == before
    service.request_return(session, appeal_id=appeal.id, reason="属于城管职责", actor=unit, now=now)
    assert appeal.status == S.RETURN_REQUESTED
    with pytest.raises(Forbidden):
        service.approve_return(session, appeal_id=appeal.id, actor=unit, now=now)
    service.approve_return(session, appeal_id=appeal.id, actor=disp, now=now)
    assert appeal.status == S.PENDING_DISPATCH
    assert queries.active_units(appeal) == []
    assert [r.decision for r in queries.returns(session, appeal.id)] == ["approved"]
    service.dispatch(session, appeal_id=appeal.id, lead=world.department, actor=disp, now=now)
    service.request_return(
        session, appeal_id=appeal.id, reason="不是我们的", actor=world.actor("department"), now=now
    )
    with pytest.raises(Invalid):
        service.reject_return(session, appeal_id=appeal.id, reason="", actor=disp, now=now)
    service.reject_return(session, appeal_id=appeal.id, reason="属于占道经营", actor=disp, now=now)
    assert appeal.status == S.SIGNED
    assert appeal.signed_at == now


def test_extension(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    unit, disp = world.actor("street_a"), world.actor("dispatcher")
    old_due = appeal.finish_due_at
    assert old_due is not None
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):  # new deadline in the past
        service.request_extension(
            session,
            appeal_id=appeal.id,
            reason="协调中",
            new_due_at=now - timedelta(days=1),
            actor=unit,
            now=now,
        )
    with pytest.raises(Invalid):  # before the current deadline
        service.request_extension(
            session,
            appeal_id=appeal.id,
            reason="协调中",
            new_due_at=old_due - timedelta(hours=1),
            actor=unit,
            now=now,
        )
    with pytest.raises(Invalid):  # no reason
        service.request_extension(
            session,
            appeal_id=appeal.id,
            reason="",
            new_due_at=old_due + timedelta(days=3),
            actor=unit,
            now=now,
        )
    later = old_due + timedelta(hours=1)
    with pytest.raises(Invalid):  # after the deadline passed
        service.request_extension(
            session,
            appeal_id=appeal.id,
            reason="协调中",
            new_due_at=later + timedelta(days=3),
            actor=unit,
            now=later,
        )
    assert state_of(session, appeal.id) == before
    new_due = old_due + timedelta(days=5)
    service.request_extension(
        session, appeal_id=appeal.id, reason="协调中", new_due_at=new_due, actor=unit, now=now
    )
    assert appeal.status == S.EXTENSION_REQUESTED
    service.approve_extension(session, appeal_id=appeal.id, actor=disp, now=now)
    assert appeal.status == S.IN_PROGRESS
    assert appeal.finish_due_at == new_due
    service.request_extension(
        session,
        appeal_id=appeal.id,
        reason="再延",
        actor=unit,
        now=now,
        new_due_at=new_due + timedelta(days=5),
    )
    service.reject_extension(session, appeal_id=appeal.id, reason="理由不足", actor=disp, now=now)
    assert appeal.finish_due_at == new_due
    assert [e.decision for e in queries.extensions(session, appeal.id)] == ["approved", "rejected"]


@pytest.mark.parametrize(
    ("request_action", "decision", "expected"),
    [
        (Action.REQUEST_TERMINATION, Action.APPROVE_TERMINATION, S.TERMINATED),
        (Action.REQUEST_TERMINATION, Action.REJECT_TERMINATION, S.IN_PROGRESS),
        (Action.REQUEST_PARK, Action.APPROVE_PARK, S.PARKED),
        (Action.REQUEST_PARK, Action.REJECT_PARK, S.IN_PROGRESS),
    ],
)
def test_reviewed_steps(
    session: Session,
    world: World,
    now: datetime,
    request_action: Action,
    decision: Action,
    expected: AppealStatus,
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    unit, disp = world.actor("street_a"), world.actor("dispatcher")
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.review_step(
            session, appeal_id=appeal.id, action=request_action, text="", actor=unit, now=now
        )
    with pytest.raises(Forbidden):
        service.review_step(
            session, appeal_id=appeal.id, action=request_action, text="理由", actor=disp, now=now
        )
    assert state_of(session, appeal.id) == before
    service.review_step(
        session, appeal_id=appeal.id, action=request_action, text="理由", actor=unit, now=now
    )
    service.review_step(
        session, appeal_id=appeal.id, action=decision, text="审核意见", actor=disp, now=now
    )
    assert appeal.status == expected


def test_unpark(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.PARKED)
    with pytest.raises(Invalid):
        service.review_step(
            session,
            appeal_id=appeal.id,
            action=Action.UNPARK,
            text="",
            actor=world.actor("street_a"),
            now=now,
        )
    service.review_step(
        session,
        appeal_id=appeal.id,
        action=Action.UNPARK,
        text="条件具备",
        actor=world.actor("street_a"),
        now=now,
    )
    assert appeal.status == S.IN_PROGRESS
    with pytest.raises(Invalid):
        service.review_step(
            session,
            appeal_id=appeal.id,
            action=Action.SIGN,
            text="x",
            actor=world.actor("street_a"),
            now=now,
        )


def test_reply_with_photo(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.reply(session, appeal_id=appeal.id, text="", actor=world.actor("street_a"), now=now)
    with pytest.raises(Invalid):
        service.reply(
            session,
            appeal_id=appeal.id,
            text="已处理",
            photos=(b"not an image",),
            media=world.media,
            actor=world.actor("street_a"),
            now=now,
        )
    assert state_of(session, appeal.id) == before
    service.reply(
        session,
        appeal_id=appeal.id,
        text="已处理",
        photos=(PNG,),
        media=world.media,
        actor=world.actor("street_a"),
        now=now,
    )
    assert appeal.status == S.REPLIED
    assert appeal.reply_text == "已处理"
    assert [a.purpose for a in queries.attachments(session, appeal.id)] == ["result"]


def test_add_attachment(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.SIGNED)
    rows = service.add_attachment(
        session,
        appeal_id=appeal.id,
        photos=(PNG,),
        media=world.media,
        actor=world.actor("street_a"),
        now=now,
    )
    assert len(rows) == 1
    assert actions_of(session, appeal.id)[-1] == "attach"
    with pytest.raises(Invalid):
        service.add_attachment(
            session,
            appeal_id=appeal.id,
            photos=(),
            media=world.media,
            actor=world.actor("street_a"),
            now=now,
        )
