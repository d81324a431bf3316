"""不合理诉求 found after the end (closed, terminated) and revoked: the incremental refresh moves
the appeal between valid and excluded in the month it counts in, however long ago, and agrees
with a direct computation and with a full rebuild."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal
from tests.integration.assessment.test_rollup import Key, direct, stored

from civicgrid.appeals import service as appeals_service
from civicgrid.appeals.service.reviews import revoke_unreasonable
from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment import queries, service
from civicgrid.assessment.periods import parse_period
from civicgrid.assessment.ranking import UnitType
from civicgrid.assessment.rates import Counts, Metric
from civicgrid.territory.models import Region

S = AppealStatus
OCTOBER = parse_period("2026-10")
NOVEMBER = parse_period("2026-11")


def _month(rows: dict[Key, Counts], first: date, last: date) -> dict[Key, Counts]:
    return {k: v for k, v in rows.items() if first <= k[2] <= last}


def _excluded(session: Session, world: World, street_id: int) -> dict[int, str]:
    page = service.drill(
        session,
        actor=world.actor("admin"),
        period=OCTOBER,
        unit_type=UnitType.STREET,
        unit_id=street_id,
        metric=Metric.EXCLUDED,
    )
    return {r.appeal_id: r.exclusion for r in page.rows}


def test_marking_and_revoking_after_the_end_moves_last_months_figures(
    session: Session, world: World, now: datetime
) -> None:
    earlier = now - timedelta(days=40)  # Thursday 2026-10-15, Beijing
    marked = make_appeal(session, world=world, status=S.CLOSED, now=earlier)
    terminated = make_appeal(session, world=world, status=S.TERMINATED, now=earlier)
    plain = make_appeal(session, world=world, status=S.CLOSED, now=earlier)
    make_appeal(session, world=world, status=S.IN_PROGRESS, now=now)  # November activity
    street_id = world.street_a[1]

    service.refresh(session, now=now)
    assert stored(session) == direct(session, now)
    before = queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER)
    assert (before.valid_callbacks, before.resolved, before.excluded) == (2, 2, 1)
    assert _excluded(session, world, street_id) == {terminated.id: "terminated"}
    november = _month(stored(session), NOVEMBER.first, NOVEMBER.last)

    supervisor = world.actor("supervisor")
    for appeal in (marked, terminated):
        appeals_service.mark_unreasonable(
            session,
            appeal_id=appeal.id,
            reason="单位申请剔除：诉求无政策依据",
            actor=supervisor,
            now=now,
        )
    result = service.refresh(session, now=now)
    assert result.keys == 2  # the street and its district, on the October callback day
    assert stored(session) == direct(session, now)
    after = queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER)
    assert (after.valid_callbacks, after.resolved, after.satisfied, after.excluded) == (1, 1, 1, 2)
    # 响应率 is the unit's own timeliness: a later finding on the demand does not change it.
    assert (after.response_due, after.response_on_time) == (
        before.response_due,
        before.response_on_time,
    )
    assert _excluded(session, world, street_id) == {
        marked.id: "unreasonable",
        terminated.id: "unreasonable",
    }
    assert _month(stored(session), NOVEMBER.first, NOVEMBER.last) == november
    street = session.get(Region, street_id)
    assert street is not None
    assert street.parent_id is not None
    district = queries.unit_counts(session, UnitType.DISTRICT, street.parent_id, OCTOBER)
    assert (district.valid_callbacks, district.excluded) == (1, 2)

    incremental = stored(session)
    service.rebuild(session, now=now)
    assert stored(session) == incremental

    for appeal in (marked, terminated):
        revoke_unreasonable(
            session, appeal_id=appeal.id, reason="复核：诉求合理", actor=supervisor, now=now
        )
    service.refresh(session, now=now)
    assert stored(session) == direct(session, now)
    assert queries.unit_counts(session, UnitType.STREET, street_id, OCTOBER) == before
    assert _excluded(session, world, street_id) == {terminated.id: "terminated"}
    assert plain.excluded_from_rates is False
