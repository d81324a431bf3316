"""Consultation use cases on a real database: the whole life cycle, votes and every refusal
(nothing stored changes on a refusal)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_consultation, resident_account
from tests.integration.participation.conftest import Snapshot

from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from civicgrid.participation.consultations import queries
from civicgrid.participation.consultations import service as svc
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import Consultation

S = st.ConsultationStatus
T = "110105001001"  # community A1
A2 = "110105001002"


def _options(session: Session, c: Consultation) -> list[int]:
    return [o.id for o in queries.options_of(session, c.id)]


def test_full_life_cycle_reaches_evaluated_with_audit_rows(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.FEEDBACK_PUBLISHED)
    svc.evaluate(session, consultation_id=c.id, score=5, actor=pworld["王芳"].actor, now=now)
    svc.evaluate(session, consultation_id=c.id, score=3, actor=pworld["李强"].actor, now=now)
    done = svc.close_evaluation(session, consultation_id=c.id, actor=pworld.staff_a1, now=now)
    assert done.status == S.EVALUATED.value
    d = queries.detail(session, done)
    assert d.evaluation_count == 2
    assert d.satisfaction_pct == 50.0
    actions = set(
        session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.subject_type == "participation_consultation",
                AuditEntry.subject_id == str(c.id),
            )
        )
    )
    assert {
        "participation.consultation.propose",
        "participation.consultation.notice",
        "participation.consultation.hold",
        "participation.consultation.resolve",
        "participation.consultation.implement",
        "participation.consultation.publish_feedback",
        "participation.consultation.evaluate",
        "participation.consultation.close_evaluation",
    } <= actions


def test_eligible_residents_vote_once_each_and_the_tally_counts(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    first, second = _options(session, c)
    svc.cast_vote(
        session, consultation_id=c.id, option_id=first, actor=pworld["王芳"].actor, now=now
    )
    svc.cast_vote(
        session, consultation_id=c.id, option_id=second, actor=pworld["李强"].actor, now=now
    )
    assert queries.tally_of(session, c.id) == {first: 1, second: 1}
    d = queries.detail(session, c, resident_id=pworld["王芳"].resident.id)
    assert d.my_option_id == first
    assert d.vote_count == 2


def test_a_second_vote_is_a_conflict_and_changes_nothing(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.HELD)
    first, second = _options(session, c)
    voter = pworld["王芳"].actor
    svc.cast_vote(session, consultation_id=c.id, option_id=first, actor=voter, now=now)
    before = snapshot()
    with pytest.raises(Conflict, match="只能投一票"):
        svc.cast_vote(session, consultation_id=c.id, option_id=second, actor=voter, now=now)
    assert snapshot() == before
    assert queries.tally_of(session, c.id) == {first: 1, second: 0}


def test_staff_vote_on_behalf_counts_for_the_resident_and_blocks_a_second_vote(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.HELD)
    first, _ = _options(session, c)
    resident = pworld["王芳"]
    vote = svc.cast_vote(
        session,
        consultation_id=c.id,
        option_id=first,
        resident_id=resident.resident.id,
        actor=pworld.staff_a1,
        now=now,
    )
    assert vote.on_behalf
    with pytest.raises(Conflict):
        svc.cast_vote(session, consultation_id=c.id, option_id=first, actor=resident.actor, now=now)


def test_a_resident_of_another_community_cannot_see_or_vote(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    first, _ = _options(session, c)
    before = snapshot()
    with pytest.raises(NotFound):
        svc.cast_vote(
            session, consultation_id=c.id, option_id=first, actor=pworld["赵敏"].actor, now=now
        )
    assert snapshot() == before


def test_staff_cannot_vote_on_behalf_of_a_resident_who_does_not_live_there(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    first, _ = _options(session, c)
    before = snapshot()
    # the street handler sees both communities; 赵敏 lives in A2, the topic is A1's.
    with pytest.raises(Forbidden, match="没有现居住登记"):
        svc.cast_vote(
            session,
            consultation_id=c.id,
            option_id=first,
            resident_id=pworld["赵敏"].resident.id,
            actor=pworld.street,
            now=now,
        )
    assert snapshot() == before


def test_an_unlinked_resident_account_cannot_vote(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    first, _ = _options(session, c)
    stranger = resident_account(
        session, pworld, grid_code="110105001001001", name="孙丽", now=now, link=False
    )
    with pytest.raises(Forbidden, match="尚未关联"):
        svc.cast_vote(session, consultation_id=c.id, option_id=first, actor=stranger.actor, now=now)


@pytest.mark.parametrize("status", [S.PROPOSED, S.RESOLVED, S.CANCELLED])
def test_voting_outside_the_voting_window_is_refused(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot, status: S
) -> None:
    c = make_consultation(session, pworld, now=now, status=status)
    first = _options(session, c)[0]
    before = snapshot()
    with pytest.raises(Conflict):
        svc.cast_vote(
            session, consultation_id=c.id, option_id=first, actor=pworld["王芳"].actor, now=now
        )
    assert snapshot() == before


def test_an_option_of_another_consultation_is_invalid(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    other = make_consultation(session, pworld, now=now, status=S.NOTICED)
    before = snapshot()
    with pytest.raises(Invalid):
        svc.cast_vote(
            session,
            consultation_id=c.id,
            option_id=_options(session, other)[0],
            actor=pworld["王芳"].actor,
            now=now,
        )
    assert snapshot() == before


def test_staff_of_another_community_cannot_manage(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(NotFound):
        svc.add_participant(
            session,
            consultation_id=c.id,
            category=st.ParticipantCategory.UNIT,
            name="某单位",
            actor=pworld.staff_a2,
            now=now,
        )
    with pytest.raises(NotFound):
        svc.cancel(session, consultation_id=c.id, reason="不需要", actor=pworld.staff_a2, now=now)
    assert snapshot() == before


def test_a_leader_may_read_but_not_manage(session: Session, pworld: PWorld, now: datetime) -> None:
    c = make_consultation(session, pworld, now=now)
    assert queries.get_for(session, pworld.leader, c.id, now.date()).id == c.id
    with pytest.raises(Forbidden):
        svc.cancel(session, consultation_id=c.id, reason="不需要", actor=pworld.leader, now=now)


def test_notice_needs_participants_and_text(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(Invalid, match="参与人"):
        svc.publish_notice(
            session, consultation_id=c.id, notice_text="开会", actor=pworld.staff_a1, now=now
        )
    assert snapshot() == before
    assert session.get(Consultation, c.id).status == S.PROPOSED.value  # type: ignore[union-attr]


def test_out_of_order_steps_are_invalid_transitions(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        svc.resolve(
            session, consultation_id=c.id, resolution="同意", actor=pworld.staff_a1, now=now
        )
    with pytest.raises(InvalidTransition):
        svc.record_meeting(
            session,
            consultation_id=c.id,
            held_at=now,
            place="议事厅",
            attendee_count=3,
            minutes="纪要",
            actor=pworld.staff_a1,
            now=now,
        )
    assert snapshot() == before


def test_meeting_in_the_future_is_invalid(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    before = snapshot()
    with pytest.raises(Invalid, match="会后"):
        svc.record_meeting(
            session,
            consultation_id=c.id,
            held_at=now + timedelta(hours=1),
            place="议事厅",
            attendee_count=3,
            minutes="纪要",
            actor=pworld.staff_a1,
            now=now,
        )
    assert snapshot() == before


def test_implementation_needs_a_task_and_feedback_needs_every_task_done(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.RESOLVED)
    before = snapshot()
    with pytest.raises(Invalid, match="落实任务"):
        svc.start_implementation(session, consultation_id=c.id, actor=pworld.staff_a1, now=now)
    assert snapshot() == before
    svc.add_task(
        session, consultation_id=c.id, title="招标", assignee="物业", actor=pworld.staff_a1, now=now
    )
    svc.start_implementation(session, consultation_id=c.id, actor=pworld.staff_a1, now=now)
    before = snapshot()
    with pytest.raises(Invalid, match="未完成"):
        svc.publish_feedback(
            session, consultation_id=c.id, feedback="完成", actor=pworld.staff_a1, now=now
        )
    assert snapshot() == before


def test_evaluation_once_per_resident_and_score_range(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.FEEDBACK_PUBLISHED)
    actor = pworld["王芳"].actor
    before = snapshot()
    with pytest.raises(Invalid):
        svc.evaluate(session, consultation_id=c.id, score=6, actor=actor, now=now)
    assert snapshot() == before
    svc.evaluate(session, consultation_id=c.id, score=4, actor=actor, now=now)
    before = snapshot()
    with pytest.raises(Conflict):
        svc.evaluate(session, consultation_id=c.id, score=5, actor=actor, now=now)
    assert snapshot() == before


def test_a_resident_proposes_for_their_own_community_only(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    actor = pworld["王芳"].actor
    c = svc.propose(
        session,
        data=svc.NewConsultation(
            title="楼道堆物",
            topic="楼道堆物影响通行",
            region_code=T,
            source=st.ConsultationSource.RESIDENT,
        ),
        actor=actor,
        now=now,
    )
    assert c.source == "resident"
    assert [x.id for x in queries.list_for(session, actor, today=now.date())[0]] == [c.id]
    before = snapshot()
    with pytest.raises(Forbidden):
        svc.propose(
            session,
            data=svc.NewConsultation(
                title="别处",
                topic="别处的事",
                region_code=A2,
                source=st.ConsultationSource.RESIDENT,
            ),
            actor=actor,
            now=now,
        )
    assert snapshot() == before


def test_hot_problem_source_needs_a_reference(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    with pytest.raises(Invalid, match="热点"):
        svc.propose(
            session,
            data=svc.NewConsultation(
                title="噪音",
                topic="夜间施工噪音",
                region_code=T,
                source=st.ConsultationSource.HOT_PROBLEM,
            ),
            actor=pworld.staff_a1,
            now=now,
        )
    c = svc.propose(
        session,
        data=svc.NewConsultation(
            title="噪音",
            topic="夜间施工噪音",
            region_code=T,
            source=st.ConsultationSource.HOT_PROBLEM,
            source_ref="2026-10 热点#3",
        ),
        actor=pworld.staff_a1,
        now=now,
    )
    assert c.source_ref == "2026-10 热点#3"


def test_linking_twice_is_a_conflict(session: Session, pworld: PWorld, now: datetime) -> None:
    account = pworld["王芳"]
    assert account.actor.user_id is not None
    with pytest.raises(Conflict):
        svc.link_resident_account(
            session,
            user_id=account.actor.user_id,
            resident_id=account.resident.id,
            actor=pworld.staff_a1,
            now=now,
        )
