"""Read side of consultations: scoped loads and lists, and the detail view with participants,
meetings, options with their tally, tasks and the evaluation summary.

Staff see consultations of regions inside their data scope. A resident sees the consultations
of the regions they live in (their linked register resident's current residences) and the
ones they proposed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.participation import access
from civicgrid.participation.consultations import states
from civicgrid.participation.consultations.models import (
    Consultation,
    ConsultationEvaluation,
    ConsultationMeeting,
    ConsultationOption,
    ConsultationParticipant,
    ConsultationTask,
    ConsultationVote,
)

MAX_LIMIT = 200


def _scope_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.scope.is_global:
        return true()
    prefixes = actor.scope.minimal_paths()
    if not prefixes:
        return false()
    return or_(*(Consultation.region_path.startswith(p, autoescape=True) for p in prefixes))


def _resident_clause(actor: Actor, residence_paths: Sequence[str]) -> ColumnElement[bool]:
    """Consultations whose region contains one of the resident's homes, or proposed by them."""
    conds: list[ColumnElement[bool]] = []
    for path in residence_paths:
        # consultation path is a prefix of the residence path: test every ancestor path.
        parts = [p for p in path.strip("/").split("/") if p]
        prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        conds.append(Consultation.region_path.in_(prefixes))
    if actor.user_id is not None:
        conds.append(Consultation.proposed_by_user_id == actor.user_id)
    return or_(*conds) if conds else false()


def visible_clause(session: Session, actor: Actor, today: date) -> ColumnElement[bool]:
    """What the actor may see: the staff scope, or a resident's own communities."""
    if access.is_staff(actor):
        return _scope_clause(actor)
    resident_id = access.linked_resident_id(session, actor.user_id)
    paths = access.current_residence_paths(session, resident_id, today) if resident_id else []
    return _resident_clause(actor, paths)


def get_for(session: Session, actor: Actor, consultation_id: int, today: date) -> Consultation:
    """One consultation the actor may see; NotFound otherwise (missing or out of scope)."""
    stmt = select(Consultation).where(
        Consultation.id == consultation_id, visible_clause(session, actor, today)
    )
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"议题 {consultation_id} 不存在或不在您的范围内")
    return found


def list_for(
    session: Session,
    actor: Actor,
    *,
    today: date,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Consultation], int]:
    """Consultations the actor may see, newest first, and their total count."""
    stmt = select(Consultation).where(visible_clause(session, actor, today))
    if status:
        stmt = stmt.where(Consultation.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Consultation.id.desc()).limit(min(limit, MAX_LIMIT)).offset(offset)
    ).all()
    return rows, total


@dataclass(frozen=True)
class OptionTally:
    id: int
    label: str
    votes: int
    leading: bool


@dataclass
class ConsultationDetail:
    """Everything a detail page or the JSON detail shows."""

    consultation: Consultation
    region_name: str
    participants: list[ConsultationParticipant] = field(default_factory=list)
    meetings: list[ConsultationMeeting] = field(default_factory=list)
    options: list[OptionTally] = field(default_factory=list)
    vote_count: int = 0
    tasks: list[ConsultationTask] = field(default_factory=list)
    evaluation_count: int = 0
    satisfaction_pct: float | None = None
    missing_categories: list[str] = field(default_factory=list)
    my_option_id: int | None = None
    my_score: int | None = None

    @property
    def status(self) -> states.ConsultationStatus:
        return states.ConsultationStatus(self.consultation.status)


def options_of(session: Session, consultation_id: int) -> list[ConsultationOption]:
    stmt = (
        select(ConsultationOption)
        .where(ConsultationOption.consultation_id == consultation_id)
        .order_by(ConsultationOption.position, ConsultationOption.id)
    )
    return list(session.scalars(stmt))


def tally_of(session: Session, consultation_id: int) -> dict[int, int]:
    """Votes per option of a consultation (every option present)."""
    options = options_of(session, consultation_id)
    votes = session.scalars(
        select(ConsultationVote.option_id).where(
            ConsultationVote.consultation_id == consultation_id
        )
    )
    return states.tally([o.id for o in options], votes)


def tasks_of(session: Session, consultation_id: int) -> list[ConsultationTask]:
    stmt = (
        select(ConsultationTask)
        .where(ConsultationTask.consultation_id == consultation_id)
        .order_by(ConsultationTask.id)
    )
    return list(session.scalars(stmt))


def participant_count(session: Session, consultation_id: int) -> int:
    stmt = select(func.count()).where(ConsultationParticipant.consultation_id == consultation_id)
    return int(session.scalar(stmt) or 0)


def vote_of(session: Session, consultation_id: int, resident_id: int) -> ConsultationVote | None:
    stmt = select(ConsultationVote).where(
        ConsultationVote.consultation_id == consultation_id,
        ConsultationVote.resident_id == resident_id,
    )
    return session.scalars(stmt).one_or_none()


def evaluation_of(
    session: Session, consultation_id: int, resident_id: int
) -> ConsultationEvaluation | None:
    stmt = select(ConsultationEvaluation).where(
        ConsultationEvaluation.consultation_id == consultation_id,
        ConsultationEvaluation.resident_id == resident_id,
    )
    return session.scalars(stmt).one_or_none()


def detail(
    session: Session, consultation: Consultation, *, resident_id: int | None = None
) -> ConsultationDetail:
    """The detail view of a consultation already loaded through :func:`get_for`."""
    cid = consultation.id
    participants = list(
        session.scalars(
            select(ConsultationParticipant)
            .where(ConsultationParticipant.consultation_id == cid)
            .order_by(ConsultationParticipant.id)
        )
    )
    meetings = list(
        session.scalars(
            select(ConsultationMeeting)
            .where(ConsultationMeeting.consultation_id == cid)
            .order_by(ConsultationMeeting.held_at)
        )
    )
    options = options_of(session, cid)
    counts = tally_of(session, cid)
    leading = set(states.leading_options(counts))
    scores = list(
        session.scalars(
            select(ConsultationEvaluation.score).where(
                ConsultationEvaluation.consultation_id == cid
            )
        )
    )
    result = ConsultationDetail(
        consultation=consultation,
        region_name=access.region_names(session, [consultation.region_id]).get(
            consultation.region_id, ""
        ),
        participants=participants,
        meetings=meetings,
        options=[OptionTally(o.id, o.label, counts.get(o.id, 0), o.id in leading) for o in options],
        vote_count=sum(counts.values()),
        tasks=tasks_of(session, cid),
        evaluation_count=len(scores),
        satisfaction_pct=states.satisfaction_pct(scores),
        missing_categories=[
            c.label for c in states.missing_fixed_categories(p.category for p in participants)
        ],
    )
    if resident_id is not None:
        vote = vote_of(session, cid, resident_id)
        result.my_option_id = vote.option_id if vote else None
        evaluation = evaluation_of(session, cid, resident_id)
        result.my_score = evaluation.score if evaluation else None
    return result
