"""申请不合理诉求认定: the lead unit applies for the 不合理诉求 finding, the centre approves (the
finding is made as by a direct mark) or rejects it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition
from civicgrid.notify.models import OutboxMessage

S = AppealStatus
REASON = "诉求人要求为其个人车辆免费划设专用车位，无政策依据"
REJECTION = "现场核实，诉求人反映的占道问题确实存在"


def _apply(session: Session, world: World, appeal: Appeal, now: datetime, **kw: object) -> None:
    args: dict[str, object] = {"reason": REASON, "actor": world.actor("street_a"), "now": now}
    args.update(kw)
    service.apply_unreasonable(session, appeal_id=appeal.id, **args)  # type: ignore[arg-type]


def _decide(
    session: Session,
    world: World,
    appeal: Appeal,
    decision: str,
    who: str,
    now: datetime,
    expected_version: int | None = None,
) -> None:
    if decision == "approve":
        service.approve_unreasonable_application(
            session,
            actor=world.actor(who),
            appeal_id=appeal.id,
            now=now,
            expected_version=expected_version,
        )
    else:
        service.reject_unreasonable_application(
            session,
            reason=REJECTION,
            actor=world.actor(who),
            appeal_id=appeal.id,
            now=now,
            expected_version=expected_version,
        )


def _last_event(session: Session, appeal_id: int) -> TimelineEvent:
    return session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.appeal_id == appeal_id)
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    ).one()


def _messages(session: Session, after: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.id > after).order_by(OutboxMessage.id)
        )
    )


def _max_message(session: Session) -> int:
    return max((m.id for m in session.scalars(select(OutboxMessage))), default=0)


def _audits(session: Session, appeal_id: int, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_type == "appeal",
                AuditEntry.subject_id == str(appeal_id),
                AuditEntry.action == action,
            )
        )
    )


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.REPLIED, S.CLOSED, S.TERMINATED])
def test_lead_unit_applies_with_timeline_audit_and_centre_message(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    version = appeal.version
    last = _max_message(session)
    _apply(session, world, appeal, now, reason=f"  {REASON} ", expected_version=version)
    assert appeal.status == status
    assert appeal.version == version + 1
    assert appeal.excluded_from_rates is False
    assert appeal.unreasonable_applied_reason == REASON
    assert appeal.unreasonable_applied_at == now
    assert appeal.unreasonable_applied_by_user_id == world.actor("street_a").user_id
    assert appeal.unreasonable_applied_by_label == world.actor("street_a").label
    event = _last_event(session, appeal.id)
    assert (event.action, event.note, event.actor_role) == (
        "apply_unreasonable",
        REASON,
        "street_handler",
    )
    assert (event.from_status, event.to_status) == (status.value, status.value)
    assert [a.reason for a in _audits(session, appeal.id, "appeal.apply_unreasonable")] == [REASON]
    messages = _messages(session, last)
    assert [(m.recipient_kind, m.recipient_id) for m in messages] == [("role", "dispatcher")]
    assert "申请不合理诉求认定" in messages[0].subject


def test_department_lead_unit_applies(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED, lead=world.department)
    _apply(session, world, appeal, now, actor=world.actor("department"))
    assert appeal.unreasonable_applied_at == now


def test_pending_applications_are_listed_for_the_reviewer(
    session: Session, world: World, now: datetime
) -> None:
    applied = make_appeal(session, world=world, now=now, status=S.CLOSED)
    make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, applied, now)
    filters = queries.AppealFilters(unreasonable_pending=True)
    page = queries.list_for(session, world.actor("supervisor"), filters, now=now)
    assert [a.id for a in page.items] == [applied.id]
    others = queries.list_for(
        session,
        world.actor("supervisor"),
        queries.AppealFilters(unreasonable_pending=False),
        now=now,
    )
    assert applied.id not in [a.id for a in others.items]
    assert others.total >= 1


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "admin"])
def test_approval_makes_the_finding_like_a_direct_mark(
    session: Session, world: World, now: datetime, who: str
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, appeal, now - timedelta(hours=1))
    version = appeal.version
    last = _max_message(session)
    service.approve_unreasonable_application(
        session,
        appeal_id=appeal.id,
        note="同意",
        actor=world.actor(who),
        now=now,
        expected_version=version,
    )
    assert appeal.excluded_from_rates is True
    assert appeal.unreasonable_reason == REASON
    assert appeal.unreasonable_at == now
    assert appeal.unreasonable_by_user_id == world.actor(who).user_id
    assert appeal.unreasonable_by_label == world.actor(who).label
    assert appeal.unreasonable_applied_at is None
    assert appeal.unreasonable_applied_reason is None
    assert appeal.unreasonable_applied_by_user_id is None
    assert appeal.unreasonable_applied_by_label is None
    assert appeal.status == S.CLOSED
    assert appeal.version == version + 1
    event = _last_event(session, appeal.id)
    assert (event.action, event.note) == ("approve_unreasonable", "同意")
    assert event.detail["excluded_from_rates"] is True
    assert event.detail["applied_reason"] == REASON
    assert event.detail["applied_by"] == world.actor("street_a").label
    assert len(_audits(session, appeal.id, "appeal.approve_unreasonable")) == 1
    messages = _messages(session, last)
    assert [(m.recipient_kind, m.recipient_id) for m in messages] == [
        ("region", str(world.street_a[1]))
    ]
    # A finding made this way is revoked like any other.
    service.revoke_unreasonable(
        session, appeal_id=appeal.id, reason="新情况", actor=world.actor("supervisor"), now=now
    )
    assert appeal.excluded_from_rates is False


def test_rejection_keeps_the_order_in_the_rates_and_allows_a_new_application(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    _apply(session, world, appeal, now)
    last = _max_message(session)
    service.reject_unreasonable_application(
        session,
        appeal_id=appeal.id,
        reason=f" {REJECTION} ",
        actor=world.actor("dispatcher"),
        now=now,
        expected_version=appeal.version,
    )
    assert appeal.excluded_from_rates is False
    assert appeal.unreasonable_reason is None
    assert appeal.unreasonable_applied_at is None
    event = _last_event(session, appeal.id)
    assert (event.action, event.note) == ("reject_unreasonable", REJECTION)
    assert event.detail["applied_reason"] == REASON
    assert len(_audits(session, appeal.id, "appeal.reject_unreasonable")) == 1
    messages = _messages(session, last)
    assert [(m.recipient_kind, m.recipient_id) for m in messages] == [
        ("region", str(world.street_a[1]))
    ]
    _apply(session, world, appeal, now, reason="补充材料后再次申请")
    assert appeal.unreasonable_applied_reason == "补充材料后再次申请"
    assert actions_of(session, appeal.id)[-3:] == [
        "apply_unreasonable",
        "reject_unreasonable",
        "apply_unreasonable",
    ]


def test_direct_mark_settles_a_pending_application(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, appeal, now)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason="中心认定", actor=world.actor("supervisor"), now=now
    )
    assert appeal.unreasonable_applied_at is None
    assert appeal.unreasonable_reason == "中心认定"
    assert _last_event(session, appeal.id).detail["applied_reason"] == REASON


# --- refusals: nothing changes ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor", "dispatcher", "operator", "leader", "admin"])
def test_only_handlers_apply(session: Session, world: World, now: datetime, who: str) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    before = state_of(session, appeal.id)
    with pytest.raises(Forbidden):
        _apply(session, world, appeal, now, actor=world.actor(who))
    assert state_of(session, appeal.id) == before


def test_a_co_unit_handler_may_not_apply(session: Session, world: World, now: datetime) -> None:
    # The department joins as a co-unit (改派 before signing): it sees the order, not leads it.
    lead_only = make_appeal(session, world=world, now=now, status=S.DISPATCHED)
    service.dispatch(
        session,
        appeal_id=lead_only.id,
        lead=world.street_a,
        co_units=[world.department],
        actor=world.actor("dispatcher"),
        now=now,
    )
    service.sign(session, appeal_id=lead_only.id, actor=world.actor("street_a"), now=now)
    service.contact(session, appeal_id=lead_only.id, actor=world.actor("street_a"), now=now)
    before = state_of(session, lead_only.id)
    with pytest.raises(Forbidden) as caught:
        _apply(session, world, lead_only, now, actor=world.actor("department"))
    assert "承办单位" in caught.value.message
    assert state_of(session, lead_only.id) == before


def test_missing_reason_is_invalid(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid) as caught:
        _apply(session, world, appeal, now, reason="   ")
    assert caught.value.detail == {"field": "text"}
    assert state_of(session, appeal.id) == before


def test_second_application_while_pending_is_a_conflict(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    _apply(session, world, appeal, now)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict) as caught:
        _apply(session, world, appeal, now, reason="再次申请")
    assert caught.value.status_code == 409
    assert not isinstance(caught.value, InvalidTransition)
    assert "待审核" in caught.value.message
    assert state_of(session, appeal.id) == before


def test_application_for_a_marked_order_is_a_conflict(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    service.mark_unreasonable(
        session, appeal_id=appeal.id, reason=REASON, actor=world.actor("supervisor"), now=now
    )
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict) as caught:
        _apply(session, world, appeal, now)
    assert "已认定" in caught.value.message
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("status", [S.DISPATCHED, S.SIGNED])
def test_application_before_the_unit_knows_the_demand_is_refused(
    session: Session, world: World, now: datetime, status: AppealStatus
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=status)
    before = state_of(session, appeal.id)
    with pytest.raises(InvalidTransition):
        _apply(session, world, appeal, now)
    assert state_of(session, appeal.id) == before


def test_stale_version_on_apply_is_a_conflict(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.REPLIED)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict):
        _apply(session, world, appeal, now, expected_version=appeal.version - 1)
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_decisions_without_a_pending_application_are_conflicts(
    session: Session, world: World, now: datetime, decision: str
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict) as caught:
        _decide(session, world, appeal, decision, "supervisor", now)
    assert "没有待审核" in caught.value.message
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("who", ["street_a", "operator", "leader"])
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_only_the_centre_decides(
    session: Session, world: World, now: datetime, who: str, decision: str
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, appeal, now)
    before = state_of(session, appeal.id)
    with pytest.raises(Forbidden):
        _decide(session, world, appeal, decision, who, now)
    assert state_of(session, appeal.id) == before


def test_rejection_needs_a_reason(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, appeal, now)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.reject_unreasonable_application(
            session, appeal_id=appeal.id, reason=" ", actor=world.actor("supervisor"), now=now
        )
    assert state_of(session, appeal.id) == before


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_stale_version_on_decision_is_a_conflict(
    session: Session, world: World, now: datetime, decision: str
) -> None:
    appeal = make_appeal(session, world=world, now=now, status=S.CLOSED)
    _apply(session, world, appeal, now)
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict):
        _decide(
            session, world, appeal, decision, "supervisor", now, expected_version=appeal.version - 1
        )
    assert state_of(session, appeal.id) == before
