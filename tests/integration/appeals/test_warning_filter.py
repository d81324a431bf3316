"""The appeal list's warning filter is one SQL condition (``warning_condition``) that agrees
with the rule in Python (``warning_for``) for every appeal and moment, on SQLite and PostgreSQL,
and the list counts every match (no scan limit)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals.deadlines import (
    DEFAULT_THRESHOLDS,
    WarningLevel,
    WarningThresholds,
    warning_level,
)
from civicgrid.appeals.models import Appeal
from civicgrid.appeals.queries.access import (
    AppealFilters,
    list_for,
    running_deadline,
    warning_condition,
    warning_for,
)
from civicgrid.appeals.states import AppealStatus

STATUSES = (
    AppealStatus.RECEIVED,
    AppealStatus.PENDING_DISPATCH,
    AppealStatus.DISPATCHED,
    AppealStatus.SIGNED,
    AppealStatus.IN_PROGRESS,
    AppealStatus.RETURN_REQUESTED,
    AppealStatus.EXTENSION_REQUESTED,
    AppealStatus.PARKED,
    AppealStatus.REPLIED,
    AppealStatus.CLOSED,
    AppealStatus.ANSWERED_DIRECTLY,
)
SUBMITTED_HOURS_AGO = (0, 3, 20, 80, 400)
PROBES_HOURS_LATER = (0, 1, 12, 30, 100, 300, 1000)


@pytest.fixture
def appeals(session: Session, world: World, now: datetime) -> list[Appeal]:
    made = [
        make_appeal(session, world=world, status=status, now=now - timedelta(hours=hours))
        for status in STATUSES
        for hours in SUBMITTED_HOURS_AGO
    ]
    session.commit()
    return made


def _python(
    appeals: list[Appeal],
    level: WarningLevel,
    at: datetime,
    thresholds: WarningThresholds = DEFAULT_THRESHOLDS,
) -> set[int]:
    found = set()
    for appeal in appeals:
        deadline = running_deadline(appeal)
        if deadline is None or deadline.due <= deadline.start:
            continue
        if warning_level(deadline.start, deadline.due, at, thresholds) is level:
            found.add(appeal.id)
    return found


def _sql(
    session: Session,
    level: WarningLevel,
    at: datetime,
    thresholds: WarningThresholds = DEFAULT_THRESHOLDS,
) -> set[int]:
    return set(session.scalars(select(Appeal.id).where(warning_condition(level, at, thresholds))))


def test_the_sql_condition_agrees_with_the_rule(
    session: Session, appeals: list[Appeal], now: datetime
) -> None:
    for thresholds in (DEFAULT_THRESHOLDS, WarningThresholds(yellow=0.5, red=0.9)):
        for level in WarningLevel:
            seen = 0
            for hours in PROBES_HOURS_LATER:
                at = now + timedelta(hours=hours, seconds=7)  # off the exact thresholds
                expected = _python(appeals, level, at, thresholds)
                assert _sql(session, level, at, thresholds) == expected, (level, hours)
                seen += len(expected)
            assert seen > 0, f"no {level} appeal at any probe: the data misses a case"
    at = now + timedelta(hours=30)
    for level in WarningLevel:  # _python restates warning_for with its thresholds
        assert _python(appeals, level, at) == {a.id for a in appeals if warning_for(a, at) is level}


def test_the_list_counts_every_match_with_its_colour(
    session: Session, world: World, appeals: list[Appeal], now: datetime
) -> None:
    supervisor = world.actor("supervisor")
    at = now + timedelta(hours=30)
    for level in WarningLevel:
        page = list_for(session, supervisor, AppealFilters(warning=level, limit=5), now=at)
        expected = _python(appeals, level, at)
        assert page.total == len(expected)
        assert {a.id for a in page.items} <= expected
        assert len(page.items) == min(5, len(expected))
