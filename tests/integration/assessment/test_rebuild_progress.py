"""The assessment rebuild has no row counts to follow (a few set-based statements); it reports
its steps, rising to the total."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals.states import AppealStatus
from civicgrid.assessment import service
from civicgrid.assessment.rollup import REBUILD_STEPS


def test_rebuild_reports_each_step_up_to_the_total(
    session: Session, world: World, now: datetime
) -> None:
    make_appeal(session, world=world, status=AppealStatus.CLOSED, now=now)
    heard: list[tuple[int, int]] = []
    result = service.rebuild(session, now=now, progress=lambda d, t: heard.append((d, t)))
    assert result.appeals == 1
    assert heard == [(done, REBUILD_STEPS) for done in range(REBUILD_STEPS + 1)]
