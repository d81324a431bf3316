"""认定不合理诉求: the centre's reviewed finding that takes an order out of 三率."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import service
from civicgrid.appeals.models import TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition
from civicgrid.notify.models import OutboxMessage

S = AppealStatus
REASON = "诉求人要求为其个人车辆免费划设专用车位，无政策依据"


def test_mark_unreasonable_sets_the_flag_timeline_audit_and_outbox(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    outbox_before = len(session.scalars(select(OutboxMessage)).all())
    version = appeal.version
    result = service.mark_unreasonable(
        session,
        appeal_id=appeal.id,
        reason=f"  {REASON} ",
        actor=world.actor("supervisor"),
        now=now,
        expected_version=version,
    )
    assert result.id == appeal.id
    assert appeal.excluded_from_rates is True
    assert appeal.status == S.REPLIED
    assert appeal.version == version + 1
    assert actions_of(session, appeal.id)[-1] == "mark_unreasonable"
    event = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.appeal_id == appeal.id)
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    ).one()
    assert (event.from_status, event.to_status) == ("replied", "replied")
    assert event.note == REASON
    assert event.actor_role == "supervisor"
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.subject_type == "appeal",
            AuditEntry.subject_id == str(appeal.id),
            AuditEntry.action == "appeal.mark_unreasonable",
        )
    ).all()
    assert [a.reason for a in audit] == [REASON]
    outbox = session.scalars(select(OutboxMessage)).all()
    assert len(outbox) > outbox_before
    assert any("认定不合理诉求" in m.subject for m in outbox)


@pytest.mark.parametrize("who", ["dispatcher", "admin"])
@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.REPLIED])
def test_reviewers_mark_open_orders(
    session: Session, world: World, now: datetime, who: str, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor(who), now=now
    )
    assert appeal.excluded_from_rates is True
    assert appeal.status == status


def test_grid_order_awaiting_verification_can_be_marked(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.PENDING_VERIFICATION, grid=True)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("dispatcher"), now=now
    )
    assert appeal.excluded_from_rates is True
    assert appeal.status == S.PENDING_VERIFICATION


@pytest.mark.parametrize("reason", ["", "   "])
def test_missing_reason_is_invalid(
    session: Session, world: World, now: datetime, reason: str
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid) as caught:
        service.mark_unreasonable(
            session, appeal_id=appeal.id, reason=reason, actor=world.actor("supervisor"), now=now
        )
    assert caught.value.status_code == 422
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("who", ["operator", "leader", "street_a"])
def test_other_roles_are_forbidden(session: Session, world: World, now: datetime, who: str) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.IN_PROGRESS)
    before = state_of(session, appeal.id)
    with pytest.raises(Forbidden) as caught:
        service.mark_unreasonable(
            session, appeal_id=appeal.id, reason=REASON, actor=world.actor(who), now=now
        )
    assert caught.value.status_code == 403
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("status", [S.RECEIVED, S.DISPATCHED, S.CLOSED, S.TERMINATED])
def test_statuses_outside_the_table_are_refused(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    before = state_of(session, appeal.id)
    with pytest.raises(InvalidTransition) as caught:
        service.mark_unreasonable(
            session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
        )
    assert caught.value.status_code == 409
    assert state_of(session, appeal.id) == before


def test_second_marking_is_a_conflict(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
    )
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict) as caught:
        service.mark_unreasonable(
            session, appeal_id=appeal.id, reason="再次认定", actor=world.actor("admin"), now=now
        )
    assert caught.value.status_code == 409
    assert not isinstance(caught.value, InvalidTransition)
    assert state_of(session, appeal.id) == before
    assert actions_of(session, appeal.id).count("mark_unreasonable") == 1


def test_stale_version_is_a_conflict(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict):
        service.mark_unreasonable(
            session,
            appeal_id=appeal.id,
            reason=REASON,
            actor=world.actor("supervisor"),
            now=now,
            expected_version=appeal.version + 1,
        )
    assert state_of(session, appeal.id) == before
