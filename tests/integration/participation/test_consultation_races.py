"""Two sessions on separate connections act on one consultation before its notice: an edit of
its participants or options and the notice (or a second edit) cannot both commit. The loser gets
a Conflict and changes nothing. Data is committed for real and removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from tests.builders.auth import make_region

from civicgrid.audit.models import AuditEntry
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import GLOBAL_SCOPE
from civicgrid.clock import BEIJING
from civicgrid.db import make_session_factory
from civicgrid.errors import Conflict
from civicgrid.notify.models import OutboxMessage
from civicgrid.participation.consultations import editing, queries
from civicgrid.participation.consultations import service as svc
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import (
    Consultation,
    ConsultationOption,
    ConsultationParticipant,
)
from civicgrid.territory.models import Region

NOW = datetime(2031, 3, 6, 10, 0, tzinfo=BEIJING)
STAFF = Actor(
    user_id=None,
    username="staff-race",
    display_name="社区工作人员",
    roles=frozenset({Role.STREET_HANDLER}),
    scope=GLOBAL_SCOPE,
)
C = st.ParticipantCategory


@dataclass(frozen=True)
class Committed:
    consultation_id: int
    participant_id: int
    option_ids: tuple[int, int]


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """A proposed consultation (version 3) with two participants and two options, in a
    community of its own (a code no other test uses), committed on ``engine``."""
    factory = make_session_factory(engine)
    with factory() as session:
        region = make_region(
            session,
            code=f"99{uuid.uuid4().int % 10**10:010d}",
            name="并发测试社区",
            level="community",
            now=NOW,
        )
        region_id = region.id
        c = svc.propose(
            session,
            data=svc.NewConsultation(
                title="并发修改测试",
                topic="两人同时修改议题与发布公告",
                region_code=region.code,
                options=("方案甲", "方案乙"),
            ),
            actor=STAFF,
            now=NOW,
        )
        participant = svc.add_participant(
            session, consultation_id=c.id, category=C.UNIT, name="张三", actor=STAFF, now=NOW
        )
        svc.add_participant(
            session, consultation_id=c.id, category=C.PARTY_ORG, name="党委", actor=STAFF, now=NOW
        )
        first, second = (o.id for o in queries.options_of(session, c.id))
        data = Committed(c.id, participant.id, (first, second))
    try:
        yield data
    finally:
        cid = data.consultation_id
        with engine.begin() as conn:
            for model in (ConsultationParticipant, ConsultationOption):
                conn.execute(delete(model).where(model.consultation_id == cid))
            conn.execute(delete(Consultation).where(Consultation.id == cid))
            conn.execute(
                delete(AuditEntry).where(
                    AuditEntry.subject_type == "participation_consultation",
                    AuditEntry.subject_id == str(cid),
                )
            )
            conn.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.link == f"/participation/consultations/{cid}"
                )
            )
            conn.execute(delete(Region).where(Region.id == region_id))


Edit = Callable[[Session, Committed], object]

EDITS: dict[str, Edit] = {
    "update_participant": lambda s, d: editing.update_participant(
        s,
        consultation_id=d.consultation_id,
        participant_id=d.participant_id,
        category=C.PROPERTY,
        name="李四",
        actor=STAFF,
        now=NOW,
    ),
    "remove_participant": lambda s, d: editing.remove_participant(
        s, consultation_id=d.consultation_id, participant_id=d.participant_id, actor=STAFF, now=NOW
    ),
    "rename_option": lambda s, d: editing.rename_option(
        s,
        consultation_id=d.consultation_id,
        option_id=d.option_ids[0],
        label="方案丙",
        actor=STAFF,
        now=NOW,
    ),
    "remove_option": lambda s, d: editing.remove_option(
        s, consultation_id=d.consultation_id, option_id=d.option_ids[0], actor=STAFF, now=NOW
    ),
    "add_participant": lambda s, d: svc.add_participant(
        s,
        consultation_id=d.consultation_id,
        category=C.RESIDENT_REPRESENTATIVE,
        name="王五",
        actor=STAFF,
        now=NOW,
    ),
    "add_option": lambda s, d: svc.add_option(
        s, consultation_id=d.consultation_id, label="方案丁", actor=STAFF, now=NOW
    ),
}


def _notice(session: Session, data: Committed) -> Consultation:
    return svc.publish_notice(
        session,
        consultation_id=data.consultation_id,
        notice_text="定于周五召开协商会",
        materials="方案说明",
        actor=STAFF,
        now=NOW,
    )


def _read(session: Session, data: Committed) -> Consultation:
    """The first clerk's use case reads the consultation (still before its notice). On
    PostgreSQL its transaction stays open, as between a use case's status check and its write
    (READ COMMITTED sees the other clerk's commit only in later statements). On SQLite the
    transaction ends (the loaded state is kept): BEGIN IMMEDIATE would make the other clerk
    wait, as writers serialise there. The caller keeps the returned object referenced so that
    the session's identity map keeps this state."""
    seen = session.get(Consultation, data.consultation_id)
    assert seen is not None
    assert st.ConsultationStatus(seen.status) is st.ConsultationStatus.PROPOSED
    assert seen.version == 3
    if session.get_bind().dialect.name != "postgresql":
        session.commit()
    return seen


def _stored(engine: Engine, data: Committed) -> tuple[str, int, list[str], list[str], list[str]]:
    """Status, version, participants, options and audit actions as committed."""
    with make_session_factory(engine)() as check:
        c = check.get(Consultation, data.consultation_id)
        assert c is not None
        participants = [
            f"{p.category}:{p.name}"
            for p in check.scalars(
                select(ConsultationParticipant)
                .where(ConsultationParticipant.consultation_id == c.id)
                .order_by(ConsultationParticipant.id)
            )
        ]
        options = [o.label for o in queries.options_of(check, c.id)]
        actions = list(
            check.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.subject_type == "participation_consultation",
                    AuditEntry.subject_id == str(c.id),
                )
                .order_by(AuditEntry.id)
            )
        )
        return c.status, c.version, participants, options, actions


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edit_after_a_concurrent_notice_is_a_conflict(
    engine: Engine, committed: Committed, edit: str
) -> None:
    factory = make_session_factory(engine)
    first: Session = factory()
    second: Session = factory()
    try:
        # the first clerk opens the consultation; meanwhile the second one publishes the notice
        seen = _read(first, committed)
        _notice(second, committed)
        with pytest.raises(Conflict):
            EDITS[edit](first, committed)
        assert seen.version == 4  # after the refusal the clerk's session shows the winner's
    finally:
        first.close()
        second.close()
    status, version, participants, options, actions = _stored(engine, committed)
    assert status == st.ConsultationStatus.NOTICED.value
    assert version == 4  # the fixture's 3, then the notice: the refused edit left no trace
    assert participants == [f"{C.UNIT.value}:张三", f"{C.PARTY_ORG.value}:党委"]
    assert options == ["方案甲", "方案乙"]
    assert [a.rsplit(".", 1)[1] for a in actions] == [
        "propose",
        "add_participant",
        "add_participant",
        "notice",
    ]


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_notice_after_a_concurrent_edit_is_a_conflict(
    engine: Engine, committed: Committed, edit: str
) -> None:
    factory = make_session_factory(engine)
    first: Session = factory()
    second: Session = factory()
    try:
        # the first clerk prepares the notice; meanwhile the second one revises the list
        seen = _read(first, committed)
        EDITS[edit](second, committed)
        with pytest.raises(Conflict):
            _notice(first, committed)
        assert seen.version == 4
    finally:
        first.close()
        second.close()
    status, version, _, _, actions = _stored(engine, committed)
    assert status == st.ConsultationStatus.PROPOSED.value
    assert version == 4  # the fixture's 3, then the edit
    assert [a.rsplit(".", 1)[1] for a in actions] == [
        "propose",
        "add_participant",
        "add_participant",
        edit,
    ]


def test_two_concurrent_edits_cannot_both_commit(engine: Engine, committed: Committed) -> None:
    factory = make_session_factory(engine)
    first: Session = factory()
    second: Session = factory()
    try:
        seen = _read(first, committed)
        EDITS["rename_option"](second, committed)
        with pytest.raises(Conflict):
            EDITS["remove_option"](first, committed)
        assert seen.version == 4
    finally:
        first.close()
        second.close()
    _, version, _, options, _ = _stored(engine, committed)
    assert version == 4
    assert options == ["方案丙", "方案乙"]
