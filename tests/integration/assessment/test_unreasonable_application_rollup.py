"""An approved 不合理诉求 application moves the rollup exactly as a direct finding does; a
pending or rejected one leaves it alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.assessment.test_rollup import direct, stored

from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment import queries, service
from civicgrid.assessment.periods import parse_period
from civicgrid.assessment.ranking import UnitType

S = AppealStatus
OCTOBER = parse_period("2026-10")
REASON = "单位申请剔除：诉求无政策依据"


def test_approved_application_moves_last_months_figures_like_a_mark(
    session: Session, world: World, now: datetime
) -> None:
    earlier = now - timedelta(days=40)  # Thursday 2026-10-15, Beijing
    applied = make_appeal(session, world=world, status=S.CLOSED, now=earlier)
    marked = make_appeal(session, world=world, status=S.CLOSED, now=earlier)
    rejected = make_appeal(session, world=world, status=S.CLOSED, now=earlier)
    street_id = world.street_a[1]
    street_handler, supervisor = world.actor("street_a"), world.actor("supervisor")

    service.refresh(session, now=now)
    before = queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER)
    assert (before.valid_callbacks, before.resolved, before.excluded) == (3, 3, 0)

    for appeal in (applied, rejected):
        appeals_service.apply_unreasonable(
            session, appeal_id=appeal.id, reason=REASON, actor=street_handler, now=now
        )
    service.refresh(session, now=now)
    assert stored(session) == direct(session, now)
    assert queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER) == before

    appeals_service.reject_unreasonable_application(
        session, appeal_id=rejected.id, reason="不予认定", actor=supervisor, now=now
    )
    service.refresh(session, now=now)
    assert queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER) == before

    appeals_service.approve_unreasonable_application(
        session, appeal_id=applied.id, actor=supervisor, now=now
    )
    service.refresh(session, now=now)
    assert stored(session) == direct(session, now)
    one = queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER)
    assert (one.valid_callbacks, one.resolved, one.excluded) == (2, 2, 1)

    appeals_service.mark_unreasonable(
        session, appeal_id=marked.id, reason=REASON, actor=supervisor, now=now
    )
    service.refresh(session, now=now)
    assert stored(session) == direct(session, now)
    two = queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER)
    # The direct mark moves the figures by the same step as the approval did.
    assert (two.valid_callbacks, two.resolved, two.excluded) == (1, 1, 2)
    assert (
        one.valid_callbacks - two.valid_callbacks,
        two.excluded - one.excluded,
    ) == (before.valid_callbacks - one.valid_callbacks, one.excluded - before.excluded)

    incremental = stored(session)
    service.rebuild(session, now=now)
    assert stored(session) == incremental
