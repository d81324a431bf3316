"""Use cases that revise a consultation's participants and options while it is still being
prepared (议题征集, before the notice): correct or remove a participant, rename or remove an
option. Each is one transaction with its audit row; once the notice is out the participants
have been informed and the options are fixed (:data:`states.REVISABLE`), so these answer
Conflict (409). Every edit bumps the consultation's version, so an edit and a concurrent notice
cannot both commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, NotFound
from civicgrid.participation.consultations import queries
from civicgrid.participation.consultations import states as st
from civicgrid.participation.consultations.models import (
    Consultation,
    ConsultationOption,
    ConsultationParticipant,
)
from civicgrid.participation.consultations.service import audit_step, load_for_manage, touch
from civicgrid.participation.fields import clean_text


def _revisable(
    session: Session, actor: Actor, consultation_id: int, what: str, now: datetime
) -> Consultation:
    """A consultation the actor manages that is still before its notice, its version bumped
    (:func:`service.touch`): a notice or another edit committed since it was loaded makes this
    a Conflict (409), and one racing with this edit gets the Conflict instead."""
    consultation = load_for_manage(session, actor, consultation_id)
    status = st.ConsultationStatus(consultation.status)
    if status not in st.REVISABLE:
        raise Conflict(f"议题处于“{status.label}”状态，公告发布后不能再修改或删除{what}")
    touch(session, consultation, now)
    return consultation


def _participant(
    session: Session, consultation: Consultation, participant_id: int
) -> ConsultationParticipant:
    found = session.get(ConsultationParticipant, participant_id)
    if found is None or found.consultation_id != consultation.id:
        raise NotFound(f"参与人 {participant_id} 不属于议题 {consultation.id}")
    return found


def _option(session: Session, consultation: Consultation, option_id: int) -> ConsultationOption:
    found = session.get(ConsultationOption, option_id)
    if found is None or found.consultation_id != consultation.id:
        raise NotFound(f"方案 {option_id} 不属于议题 {consultation.id}")
    return found


@use_case
def update_participant(
    session: Session,
    *,
    consultation_id: int,
    participant_id: int,
    category: st.ParticipantCategory,
    name: str,
    organisation: str = "",
    actor: Actor,
    now: datetime,
) -> ConsultationParticipant:
    """Correct a participant's category, name or organisation (the linked resident stays)."""
    consultation = _revisable(session, actor, consultation_id, "参与人", now)
    participant = _participant(session, consultation, participant_id)
    participant.category = category.value
    participant.name = clean_text(name, "参与人姓名", 100)
    participant.organisation = clean_text(organisation, "所在单位", 100, required=False)
    session.flush()
    audit_step(
        session,
        consultation.id,
        "update_participant",
        actor,
        now,
        participant_id=participant.id,
        category=category.value,
    )
    return participant


@use_case
def remove_participant(
    session: Session, *, consultation_id: int, participant_id: int, actor: Actor, now: datetime
) -> None:
    """Take a participant off the list before the notice."""
    consultation = _revisable(session, actor, consultation_id, "参与人", now)
    participant = _participant(session, consultation, participant_id)
    session.delete(participant)
    session.flush()
    audit_step(
        session,
        consultation.id,
        "remove_participant",
        actor,
        now,
        participant_id=participant_id,
        category=participant.category,
    )


@use_case
def rename_option(
    session: Session,
    *,
    consultation_id: int,
    option_id: int,
    label: str,
    actor: Actor,
    now: datetime,
) -> ConsultationOption:
    """Reword an option; two options of one consultation never share a label (409)."""
    consultation = _revisable(session, actor, consultation_id, "表决方案", now)
    option = _option(session, consultation, option_id)
    label = clean_text(label, "方案", 200)
    if any(
        o.label == label and o.id != option.id for o in queries.options_of(session, consultation.id)
    ):
        raise Conflict("该方案已存在")
    option.label = label
    session.flush()
    audit_step(session, consultation.id, "rename_option", actor, now, option_id=option.id)
    return option


@use_case
def remove_option(
    session: Session, *, consultation_id: int, option_id: int, actor: Actor, now: datetime
) -> None:
    """Drop an option before the notice (no vote can exist yet: voting opens with the notice).
    The remaining options keep their order and are numbered 1… again, so that an option added
    later goes last."""
    consultation = _revisable(session, actor, consultation_id, "表决方案", now)
    option = _option(session, consultation, option_id)
    session.delete(option)
    session.flush()
    for position, remaining in enumerate(queries.options_of(session, consultation.id), start=1):
        remaining.position = position
    session.flush()
    audit_step(session, consultation.id, "remove_option", actor, now, option_id=option_id)
