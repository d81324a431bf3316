"""Duplicate suggestions as the intake result (the appeal's detail page) and the dispatch queue
show them: the open appeals that may report the same problem (``dispatch.service.duplicates_for``)
with number, title, status, place and similarity, each with a one-click 并单 button that takes the
appeals action table's ``merge`` action (``/appeals/{id}/actions/merge``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import Action, can
from civicgrid.auth.actor import Actor
from civicgrid.config import Settings
from civicgrid.dispatch import service as dispatch_service
from civicgrid.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    """One suggested duplicate: the appeal the viewed one may be merged into."""

    id: int
    number: str
    title: str
    status_label: str
    status_colour: str
    place: str
    score: float
    place_reason: str

    @property
    def percent(self) -> str:
        return f"{self.score * 100:.0f}%"


def may_merge(appeal: queries.AppealRecord, actor: Actor) -> bool:
    """True when the workflow lets ``actor`` merge the appeal now (并单 by intake roles,
    before the unit signs)."""
    status, flow = AppealStatus(appeal.status), Flow(appeal.flow)
    return can(status, Action.MERGE, actor.roles, flow=flow)


def duplicate_rows(
    session: Session, actor: Actor, appeal_id: int, settings: Settings
) -> list[DuplicateRow]:
    """The likely duplicates of ``appeal_id`` that ``actor`` may see, best first; Forbidden
    when the actor may not merge the appeal now (the suggestions exist to be merged)."""
    if not may_merge(queries.by_id_for(session, actor, appeal_id), actor):
        raise Forbidden("当前状态下您不能并单，无需查看疑似重复工单")
    policy = dispatch_service.policy_from_settings(settings)
    found = dispatch_service.duplicates_for(
        session, actor=actor, appeal_id=appeal_id, policy=policy
    )
    rows: list[DuplicateRow] = []
    for candidate in found:
        try:
            other = queries.by_id_for(session, actor, candidate.appeal.id)
        except NotFound:  # gone out of view since the search; not offered
            continue
        status = AppealStatus(other.status)
        rows.append(
            DuplicateRow(
                id=other.id,
                number=other.number,
                title=other.title,
                status_label=status.label,
                status_colour=status.colour.value,
                place=other.address,
                score=candidate.score,
                place_reason=candidate.place_reason,
            )
        )
    return rows
