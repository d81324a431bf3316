"""认定不合理诉求: the centre's reviewed finding that takes an order out of 三率."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import service
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.service.reviews import revoke_unreasonable
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
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


@pytest.mark.parametrize("status", [S.RECEIVED, S.DISPATCHED, S.PARKED, S.MERGED])
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


# --- after the end, the stored finding, revocation ------------------------------------------


def _latest_event(session: Session, appeal_id: int) -> TimelineEvent:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.appeal_id == appeal_id)
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    ).one()


def _audit(session: Session, appeal_id: int, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_type == "appeal",
                AuditEntry.subject_id == str(appeal_id),
                AuditEntry.action == action,
            )
        )
    )


@pytest.mark.parametrize("status", [S.CLOSED, S.TERMINATED])
def test_closed_and_terminated_orders_can_be_marked_and_keep_their_status(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    closed_at = appeal.closed_at
    later = now + timedelta(days=3)
    service.mark_unreasonable(
        session,
        appeal_id=appeal.id,
        reason=f" {REASON} ",
        actor=world.actor("dispatcher"),
        now=later,
        expected_version=appeal.version,
    )
    session.expire_all()
    stored = session.get(Appeal, appeal.id)
    assert stored is not None
    assert stored.status == status
    assert stored.closed_at == closed_at
    assert stored.excluded_from_rates is True
    assert stored.unreasonable_reason == REASON
    assert stored.unreasonable_at == later
    assert stored.unreasonable_by_user_id == world.actor("dispatcher").user_id
    assert stored.unreasonable_by_label == world.actor("dispatcher").label
    event = _latest_event(session, appeal.id)
    assert (event.action, event.from_status, event.to_status) == (
        "mark_unreasonable",
        status.value,
        status.value,
    )
    assert event.note == REASON
    assert [a.reason for a in _audit(session, appeal.id, "appeal.mark_unreasonable")] == [REASON]


@pytest.mark.parametrize("status", [S.ANSWERED_DIRECTLY, S.CLOSED])
def test_an_order_closed_at_intake_never_counted_and_is_refused(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.ANSWERED_DIRECTLY)
    if status is S.CLOSED:
        service.close_disposed(session, appeal_id=appeal.id, actor=world.actor("operator"), now=now)
    assert appeal.status == status
    before = state_of(session, appeal.id)
    with pytest.raises(InvalidTransition) as caught:
        service.mark_unreasonable(
            session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
        )
    assert caught.value.status_code == 409
    assert state_of(session, appeal.id) == before


def test_unknown_or_out_of_scope_appeal_is_not_found(
    session: Session, world: World, now: datetime
) -> None:
    with pytest.raises(NotFound):
        service.mark_unreasonable(
            session, appeal_id=987654, reason=REASON, actor=world.actor("supervisor"), now=now
        )
    with pytest.raises(NotFound):
        revoke_unreasonable(
            session, appeal_id=987654, reason=REASON, actor=world.actor("supervisor"), now=now
        )


def test_revoke_clears_the_finding_and_keeps_the_history(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
    )
    outbox_before = len(session.scalars(select(OutboxMessage)).all())
    version = appeal.version
    later = now + timedelta(hours=2)
    revoke_unreasonable(
        session,
        appeal_id=appeal.id,
        reason="  诉求人补充了购房合同，诉求有政策依据 ",
        actor=world.actor("admin"),
        now=later,
        expected_version=version,
    )
    session.expire_all()
    stored = session.get(Appeal, appeal.id)
    assert stored is not None
    assert stored.status == S.CLOSED
    assert stored.version == version + 1
    assert stored.excluded_from_rates is False
    assert (
        stored.unreasonable_reason,
        stored.unreasonable_at,
        stored.unreasonable_by_user_id,
        stored.unreasonable_by_label,
    ) == (None, None, None, None)
    assert actions_of(session, appeal.id)[-2:] == ["mark_unreasonable", "revoke_unreasonable"]
    event = _latest_event(session, appeal.id)
    assert event.note == "诉求人补充了购房合同，诉求有政策依据"
    assert event.actor_role == "admin"
    assert event.detail["revoked_reason"] == REASON
    assert event.detail["excluded_from_rates"] is False
    audit = _audit(session, appeal.id, "appeal.revoke_unreasonable")
    assert [a.reason for a in audit] == ["诉求人补充了购房合同，诉求有政策依据"]
    outbox = session.scalars(select(OutboxMessage)).all()
    assert len(outbox) > outbox_before
    assert any("撤销不合理认定" in m.subject for m in outbox)
    # A revoked finding may be made again, with a new reason.
    service.mark_unreasonable(
        session,
        appeal_id=appeal.id,
        reason="复核后仍认定",
        actor=world.actor("dispatcher"),
        now=later,
    )
    assert appeal.excluded_from_rates is True
    assert appeal.unreasonable_reason == "复核后仍认定"


def test_revoking_an_unmarked_order_is_a_conflict(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict) as caught:
        revoke_unreasonable(
            session, appeal_id=appeal.id, reason="撤销", actor=world.actor("supervisor"), now=now
        )
    assert caught.value.status_code == 409
    assert not isinstance(caught.value, InvalidTransition)
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize(
    ("who", "reason", "error"),
    [
        ("operator", "撤销", Forbidden),
        ("street_a", "撤销", Forbidden),
        ("supervisor", "  ", Invalid),
    ],
)
def test_revoke_refusals_change_nothing(
    session: Session, world: World, now: datetime, who: str, reason: str, error: type[Exception]
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.TERMINATED)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
    )
    before = state_of(session, appeal.id)
    with pytest.raises(error):
        revoke_unreasonable(
            session, appeal_id=appeal.id, reason=reason, actor=world.actor(who), now=now
        )
    assert state_of(session, appeal.id) == before


def test_stale_version_on_revoke_is_a_conflict(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
    )
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict):
        revoke_unreasonable(
            session,
            appeal_id=appeal.id,
            reason="撤销",
            actor=world.actor("supervisor"),
            now=now,
            expected_version=appeal.version - 1,
        )
    assert state_of(session, appeal.id) == before
