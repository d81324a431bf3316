"""Service-project use cases: apply → review → claim → start → spend → complete → evaluate,
and the refusals (double claim, overspending, wrong year, scope)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld
from tests.integration.participation.conftest import Snapshot

from civicgrid.errors import Invalid, InvalidTransition, NotFound
from civicgrid.participation.projects import queries
from civicgrid.participation.projects import service as svc
from civicgrid.participation.projects.models import ServiceProject
from civicgrid.participation.volunteers import service as volunteers

A1 = "110105001001"


def _apply(session: Session, pworld: PWorld, now: datetime) -> ServiceProject:
    return svc.apply(
        session,
        region_code=A1,
        year=2027,
        title="老年助餐点",
        description="为高龄老人提供午餐",
        applicant="建国里社区居委会",
        budget_fen=5_000_000,
        actor=pworld.staff_a1,
        now=now,
    )


def test_project_life_cycle_within_budget(session: Session, pworld: PWorld, now: datetime) -> None:
    p = _apply(session, pworld, now)
    org = volunteers.register_party_org(
        session, region_code=A1, name="某国企党委", actor=pworld.staff_a1, now=now
    )
    svc.review(session, project_id=p.id, approve=True, actor=pworld.street, now=now)
    svc.claim(session, project_id=p.id, party_org_id=org.id, actor=pworld.staff_a1, now=now)
    svc.start(session, project_id=p.id, actor=pworld.staff_a1, now=now)
    svc.record_expense(
        session,
        project_id=p.id,
        amount_fen=1_200_000,
        spent_on=now.date(),
        note="采购餐具",
        actor=pworld.staff_a1,
        now=now,
    )
    svc.complete(
        session, project_id=p.id, outcome="服务老人 3000 人次", actor=pworld.staff_a1, now=now
    )
    done = svc.evaluate(
        session, project_id=p.id, score=92, evaluation="成效显著", actor=pworld.street, now=now
    )
    assert done.status == "evaluated"
    assert done.claimed_by == "某国企党委"
    assert done.spent_fen == 1_200_000
    assert len(queries.expenses_of(session, p.id)) == 1


def test_a_second_claim_is_an_invalid_transition(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    p = _apply(session, pworld, now)
    svc.review(session, project_id=p.id, approve=True, actor=pworld.staff_a1, now=now)
    svc.claim(session, project_id=p.id, claimed_by="幸福物业", actor=pworld.staff_a1, now=now)
    before = snapshot()
    with pytest.raises(InvalidTransition):
        svc.claim(session, project_id=p.id, claimed_by="另一家", actor=pworld.staff_a1, now=now)
    assert snapshot() == before


def test_overspending_is_invalid_and_changes_nothing(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    p = _apply(session, pworld, now)
    svc.review(session, project_id=p.id, approve=True, actor=pworld.staff_a1, now=now)
    svc.claim(session, project_id=p.id, claimed_by="幸福物业", actor=pworld.staff_a1, now=now)
    svc.start(session, project_id=p.id, actor=pworld.staff_a1, now=now)
    before = snapshot()
    with pytest.raises(Invalid, match="超出预算"):
        svc.record_expense(
            session,
            project_id=p.id,
            amount_fen=5_000_001,
            spent_on=now.date(),
            note="超支",
            actor=pworld.staff_a1,
            now=now,
        )
    with pytest.raises(Invalid, match="大于 0"):
        svc.record_expense(
            session,
            project_id=p.id,
            amount_fen=-5,
            spent_on=now.date(),
            note="负数",
            actor=pworld.staff_a1,
            now=now,
        )
    assert snapshot() == before
    session.expire_all()
    assert session.get(ServiceProject, p.id).spent_fen == 0  # type: ignore[union-attr]


def test_rejection_needs_a_reason_and_the_year_must_be_current_or_next(
    session: Session, pworld: PWorld, now: datetime, snapshot: Snapshot
) -> None:
    p = _apply(session, pworld, now)
    before = snapshot()
    with pytest.raises(Invalid):
        svc.review(session, project_id=p.id, approve=False, actor=pworld.staff_a1, now=now)
    with pytest.raises(Invalid, match="年度"):
        svc.apply(
            session,
            region_code=A1,
            year=2020,
            title="旧",
            applicant="居委会",
            budget_fen=100,
            actor=pworld.staff_a1,
            now=now,
        )
    assert snapshot() == before


def test_projects_of_another_community_are_not_found(
    session: Session, pworld: PWorld, now: datetime
) -> None:
    p = _apply(session, pworld, now)
    with pytest.raises(NotFound):
        svc.review(session, project_id=p.id, approve=True, actor=pworld.staff_a2, now=now)
    assert queries.list_for(session, pworld.staff_a2) == []
