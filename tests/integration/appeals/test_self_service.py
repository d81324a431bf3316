"""The caller's self-service: rating the reply (自助评价) as the resident who filed the appeal or
with the tracking proof, and the limit on failed tracking attempts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import PNG, World, make_appeal
from tests.integration.appeals.conftest import actions_of, state_of

from civicgrid.appeals import queries, service
from civicgrid.appeals.channels import Channel
from civicgrid.appeals.models import Appeal, Callback, TrackingFailure
from civicgrid.appeals.self_service_rules import (
    MAX_TRACKING_FAILURES,
    TRACKING_WINDOW,
    TooManyAttempts,
    TrackingProof,
)
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Invalid, InvalidTransition, NotFound, Unauthenticated
from civicgrid.notify.models import OutboxMessage

S = AppealStatus
PHONE = "13812345678"


def _resident_appeal(
    session: Session, world: World, now: datetime, status: AppealStatus = S.REPLIED
) -> Appeal:
    return make_appeal(
        session,
        world=world,
        status=status,
        now=now,
        by="resident",
        channel=Channel.SNAPSHOT,
        photos=(PNG,),
        lon=116.45,
        lat=39.91,
        caller_phone=PHONE,
    )


def _callbacks(session: Session, appeal_id: int) -> list[Callback]:
    return list(queries.callbacks(session, appeal_id))


def _failures(session: Session) -> int:
    return int(session.scalar(select(func.count(TrackingFailure.id))) or 0)


def test_resident_rating_solved_and_satisfied_closes_the_appeal(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    rating = service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        comment="  路灯修好了，谢谢  ",
        actor=world.actor("resident"),
        cipher=world.cipher,
        now=now,
    )
    assert rating is not None
    assert appeal.status == S.CLOSED.value
    assert appeal.closed_at == now
    assert appeal.resolved is True
    assert appeal.satisfaction == "satisfied"
    [row] = _callbacks(session, appeal.id)
    assert (row.channel, row.note, row.by_user_id) == (
        "self_service",
        "路灯修好了，谢谢",
        world.actor("resident").user_id,
    )
    assert actions_of(session, appeal.id)[-1] == "self_rate_close"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "appeal.self_rate_close"))
    assert audit is not None
    assert audit.subject_id == str(appeal.id)
    # The lead unit learns that its order was closed by the caller's rating.
    assert session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.subject.contains("自助评价结案"))
    )


@pytest.mark.parametrize(
    ("resolved", "satisfaction"),
    [(False, Satisfaction.SATISFIED), (True, Satisfaction.DISSATISFIED)],
)
def test_unsolved_or_dissatisfied_rating_waits_for_the_operator(
    session: Session, world: World, now: datetime, resolved: bool, satisfaction: Satisfaction
) -> None:
    appeal = _resident_appeal(session, world, now)
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=resolved,
        satisfaction=satisfaction,
        actor=world.actor("resident"),
        cipher=world.cipher,
        now=now,
    )
    assert appeal.status == S.REPLIED.value
    assert appeal.closed_at is None
    assert actions_of(session, appeal.id)[-1] == "self_rate"
    assert session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.recipient_id == "operator")
    )
    # The operator still calls back and decides: here, 重办.
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        reopen=True,
        reason="诉求人反映问题仍在",
        actor=world.actor("operator"),
        now=now,
    )
    assert appeal.status == S.IN_PROGRESS.value
    assert [c.channel for c in _callbacks(session, appeal.id)] == ["self_service", "phone"]


def test_a_second_rating_of_the_same_reply_is_refused_and_changes_nothing(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    args = {
        "appeal_id": appeal.id,
        "actor": world.actor("resident"),
        "cipher": world.cipher,
        "now": now,
    }
    service.rate_by_caller(session, resolved=False, satisfaction=Satisfaction.DISSATISFIED, **args)  # type: ignore[arg-type]
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict, match="已评价"):
        service.rate_by_caller(session, resolved=True, satisfaction=Satisfaction.SATISFIED, **args)  # type: ignore[arg-type]
    assert state_of(session, appeal.id) == before
    assert len(_callbacks(session, appeal.id)) == 1


def test_rating_after_closing_is_refused(session: Session, world: World, now: datetime) -> None:
    appeal = _resident_appeal(session, world, now)
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.FAIRLY_SATISFIED,
        actor=world.actor("resident"),
        cipher=world.cipher,
        now=now,
    )
    before = state_of(session, appeal.id)
    with pytest.raises(Conflict, match="已评价"):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("resident"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, appeal.id) == before


def test_another_residents_appeal_cannot_be_rated(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    before = state_of(session, appeal.id)
    with pytest.raises(NotFound):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("resident2"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, appeal.id) == before
    assert _callbacks(session, appeal.id) == []


def test_staff_cannot_rate_on_the_callers_behalf(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    before = state_of(session, appeal.id)
    with pytest.raises(NotFound):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("operator"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, appeal.id) == before


def test_rating_before_the_reply_is_refused(session: Session, world: World, now: datetime) -> None:
    appeal = _resident_appeal(session, world, now, status=S.IN_PROGRESS)
    before = state_of(session, appeal.id)
    with pytest.raises(InvalidTransition):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            actor=world.actor("resident"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, appeal.id) == before


def test_rating_needs_resolved_and_satisfaction(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    before = state_of(session, appeal.id)
    with pytest.raises(Invalid):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=None,
            actor=world.actor("resident"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, appeal.id) == before


def test_rating_needs_a_login_or_a_proof(session: Session, world: World, now: datetime) -> None:
    appeal = _resident_appeal(session, world, now)
    with pytest.raises(Unauthenticated):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            cipher=world.cipher,
            now=now,
        )


def test_a_caller_with_the_tracking_proof_rates_a_hotline_appeal(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(
        session, world=world, status=S.REPLIED, now=now, caller_phone="138 1234-5678"
    )
    rating = service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        proof=TrackingProof(appeal.number, "5678"),
        cipher=world.cipher,
        now=now,
    )
    assert rating is not None
    assert rating.appeal.status == S.CLOSED.value
    assert rating.callback.by_user_id is None
    event = queries.timeline(session, appeal.id)[-1]
    assert (event.action, event.actor_role) == ("self_rate_close", "resident")


def test_a_wrong_proof_records_a_failure_and_changes_nothing_else(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=S.REPLIED, now=now)
    before = state_of(session, appeal.id)
    rating = service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        proof=TrackingProof(appeal.number, "0000"),
        cipher=world.cipher,
        now=now,
    )
    assert rating is None
    assert state_of(session, appeal.id) == before
    assert _failures(session) == 1


def test_a_proof_for_another_appeal_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    mine = make_appeal(session, world=world, status=S.REPLIED, now=now)
    other = make_appeal(session, world=world, status=S.REPLIED, now=now, caller_phone="13900009999")
    before = state_of(session, other.id)
    with pytest.raises(NotFound):
        service.rate_by_caller(
            session,
            appeal_id=other.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            proof=TrackingProof(mine.number, "5678"),
            cipher=world.cipher,
            now=now,
        )
    assert state_of(session, other.id) == before


def test_tracking_compares_the_real_phone_tail(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=S.DISPATCHED, now=now)
    found = service.track(
        session, proof=TrackingProof(f" {appeal.number} ", "5678"), cipher=world.cipher, now=now
    )
    assert found is not None
    assert found.id == appeal.id
    # The masked form "138****5678" would also "end" in these digits; "****" never matches.
    assert (
        service.track(
            session, proof=TrackingProof(appeal.number, "****"), cipher=world.cipher, now=now
        )
        is None
    )
    assert _failures(session) == 1


def test_anonymous_appeals_are_never_tracked(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, status=S.DISPATCHED, now=now, caller_phone="")
    assert (
        service.track(
            session, proof=TrackingProof(appeal.number, "5678"), cipher=world.cipher, now=now
        )
        is None
    )


def test_too_many_failures_lock_tracking_of_the_number_for_the_window(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=S.REPLIED, now=now)
    wrong = TrackingProof(appeal.number, "1111")
    right = TrackingProof(appeal.number, "5678")
    for i in range(MAX_TRACKING_FAILURES):
        at = now + timedelta(minutes=i)
        assert service.track(session, proof=wrong, cipher=world.cipher, now=at) is None
    locked_at = now + timedelta(minutes=MAX_TRACKING_FAILURES)
    with pytest.raises(TooManyAttempts) as info:
        service.track(session, proof=right, cipher=world.cipher, now=locked_at)
    assert info.value.status_code == 429
    assert "分钟后再试" in info.value.message
    before = state_of(session, appeal.id)
    with pytest.raises(TooManyAttempts):
        service.rate_by_caller(
            session,
            appeal_id=appeal.id,
            resolved=True,
            satisfaction=Satisfaction.SATISFIED,
            proof=right,
            cipher=world.cipher,
            now=locked_at,
        )
    assert state_of(session, appeal.id) == before
    assert _failures(session) == MAX_TRACKING_FAILURES
    # Another number is not affected, and the lock ends when the first failure leaves the window.
    other = make_appeal(session, world=world, status=S.DISPATCHED, now=now)
    assert service.track(
        session, proof=TrackingProof(other.number, "5678"), cipher=world.cipher, now=locked_at
    )
    later = now + TRACKING_WINDOW + timedelta(seconds=1)
    assert service.track(session, proof=right, cipher=world.cipher, now=later) is not None


def test_a_resident_may_rate_again_after_a_reopen_and_a_new_reply(
    session: Session, world: World, now: datetime
) -> None:
    appeal = _resident_appeal(session, world, now)
    resident = world.actor("resident")
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        actor=resident,
        cipher=world.cipher,
        now=now,
    )
    service.callback(
        session,
        appeal_id=appeal.id,
        resolved=False,
        satisfaction=Satisfaction.DISSATISFIED,
        reopen=True,
        reason="问题仍在",
        actor=world.actor("operator"),
        now=now,
    )
    service.reply(
        session, appeal_id=appeal.id, text="已再次处理", actor=world.actor("street_a"), now=now
    )
    service.rate_by_caller(
        session,
        appeal_id=appeal.id,
        resolved=True,
        satisfaction=Satisfaction.SATISFIED,
        actor=resident,
        cipher=world.cipher,
        now=now,
    )
    assert appeal.status == S.CLOSED.value
    assert [(c.round, c.channel) for c in _callbacks(session, appeal.id)] == [
        (0, "self_service"),
        (0, "phone"),
        (1, "self_service"),
    ]
