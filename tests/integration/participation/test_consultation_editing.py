"""Revising a consultation's participants and options before the notice: the changes, their
audit rows, and every refusal (nothing stored changes on a refusal)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_consultation
from tests.integration.participation.conftest import Snapshot

from civicgrid.audit.models import AuditEntry
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.participation.consultations import editing, queries
from civicgrid.participation.consultations import service as svc
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import Consultation, ConsultationParticipant

S = st.ConsultationStatus
C = st.ParticipantCategory


def _participant(session: Session, pworld: PWorld, c: Consultation, now: datetime) -> int:
    return svc.add_participant(
        session,
        consultation_id=c.id,
        category=C.UNIT,
        name="张三",
        organisation="物业",
        actor=pworld.staff_a1,
        now=now,
    ).id


def _audit_actions(session: Session, c: Consultation) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.subject_type == "participation_consultation",
                AuditEntry.subject_id == str(c.id),
            )
        )
    )


def test_a_participant_is_corrected_then_removed_before_the_notice(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now)
    pid = _participant(session, pworld, c, now)
    changed = editing.update_participant(
        session,
        consultation_id=c.id,
        participant_id=pid,
        category=C.PROPERTY,
        name=" 李四 ",
        organisation="",
        actor=pworld.staff_a1,
        now=now,
    )
    assert (changed.category, changed.name, changed.organisation) == ("property", "李四", "")
    editing.remove_participant(
        session, consultation_id=c.id, participant_id=pid, actor=pworld.staff_a1, now=now
    )
    assert session.get(ConsultationParticipant, pid) is None
    assert queries.participant_count(session, c.id) == 0
    actions = _audit_actions(session, c)
    assert "participation.consultation.update_participant" in actions
    assert "participation.consultation.remove_participant" in actions


def test_options_are_renamed_and_removed_and_a_new_one_goes_last(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    c = make_consultation(session, pworld, now=now, options=("甲", "乙", "丙"))
    _first, second, third = queries.options_of(session, c.id)
    editing.rename_option(
        session,
        consultation_id=c.id,
        option_id=third.id,
        label="丙（修改）",
        actor=pworld.staff_a1,
        now=now,
    )
    editing.remove_option(
        session, consultation_id=c.id, option_id=second.id, actor=pworld.staff_a1, now=now
    )
    svc.add_option(session, consultation_id=c.id, label="丁", actor=pworld.staff_a1, now=now)
    options = queries.options_of(session, c.id)
    assert [(o.label, o.position) for o in options] == [("甲", 1), ("丙（修改）", 2), ("丁", 3)]
    actions = _audit_actions(session, c)
    assert "participation.consultation.rename_option" in actions
    assert "participation.consultation.remove_option" in actions


def test_after_the_notice_nothing_can_be_revised(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now, status=S.NOTICED)
    participant = queries.detail(session, c).participants[0]
    option = queries.options_of(session, c.id)[0]
    before = snapshot()
    staff = pworld.staff_a1
    with pytest.raises(Conflict, match="公告发布后"):
        editing.update_participant(
            session,
            consultation_id=c.id,
            participant_id=participant.id,
            category=C.UNIT,
            name="新名字",
            actor=staff,
            now=now,
        )
    with pytest.raises(Conflict):
        editing.remove_participant(
            session, consultation_id=c.id, participant_id=participant.id, actor=staff, now=now
        )
    with pytest.raises(Conflict):
        editing.rename_option(
            session, consultation_id=c.id, option_id=option.id, label="新", actor=staff, now=now
        )
    with pytest.raises(Conflict):
        editing.remove_option(
            session, consultation_id=c.id, option_id=option.id, actor=staff, now=now
        )
    assert snapshot() == before


def test_refusals_name_the_reason_and_change_nothing(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    c = make_consultation(session, pworld, now=now)
    other = make_consultation(session, pworld, now=now, region_code="110105001002")
    pid = _participant(session, pworld, c, now)
    first, second = queries.options_of(session, c.id)
    foreign_option = queries.options_of(session, other.id)[0]
    before = snapshot()
    staff = pworld.staff_a1
    # an option of another consultation is not found through this one
    with pytest.raises(NotFound):
        editing.remove_option(
            session, consultation_id=c.id, option_id=foreign_option.id, actor=staff, now=now
        )
    # two options never share a label; an empty label is invalid
    with pytest.raises(Conflict, match="已存在"):
        editing.rename_option(
            session, consultation_id=c.id, option_id=second.id, label=first.label, actor=staff,
            now=now,
        )  # fmt: skip
    with pytest.raises(Invalid):
        editing.rename_option(
            session, consultation_id=c.id, option_id=second.id, label="  ", actor=staff, now=now
        )
    # staff of another community do not see the consultation; residents may not manage it
    with pytest.raises(NotFound):
        editing.remove_participant(
            session, consultation_id=c.id, participant_id=pid, actor=pworld.staff_a2, now=now
        )
    with pytest.raises(Forbidden):
        editing.remove_participant(
            session, consultation_id=c.id, participant_id=pid, actor=pworld["王芳"].actor, now=now
        )
    assert snapshot() == before
