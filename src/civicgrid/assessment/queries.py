"""Read side of the assessment: period sums from the daily rollup, the units of each type, and
the drill-down from any number to the appeals counted in it. Read-only; no use case here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import unscoped_facts
from civicgrid.assessment.models import COUNTERS, AssessmentDaily, AssessmentFact
from civicgrid.assessment.periods import Period
from civicgrid.assessment.ranking import UnitType
from civicgrid.assessment.rates import (
    FAIRLY_SATISFIED,
    SATISFIED,
    Counts,
    EvalState,
    Metric,
    ResponseState,
)
from civicgrid.territory import queries as territory_queries


def _sums() -> list[Any]:
    return [func.coalesce(func.sum(getattr(AssessmentDaily, c)), 0) for c in COUNTERS]


def _counts(values: Sequence[Any]) -> Counts:
    return Counts(*(int(v) for v in values))


def period_counts(session: Session, unit_type: UnitType, period: Period) -> dict[int, Counts]:
    """Counts of every unit of the type that has rollup rows in the period, keyed by unit id."""
    stmt = (
        select(AssessmentDaily.unit_id, *_sums())
        .where(
            AssessmentDaily.unit_type == unit_type.value,
            AssessmentDaily.day >= period.first,
            AssessmentDaily.day <= period.last,
        )
        .group_by(AssessmentDaily.unit_id)
    )
    return {row[0]: _counts(row[1:]) for row in session.execute(stmt)}


def unit_counts(session: Session, unit_type: UnitType, unit_id: int, period: Period) -> Counts:
    stmt = select(*_sums()).where(
        AssessmentDaily.unit_type == unit_type.value,
        AssessmentDaily.unit_id == unit_id,
        AssessmentDaily.day >= period.first,
        AssessmentDaily.day <= period.last,
    )
    return _counts(session.execute(stmt).one())


def daily_series(
    session: Session, unit_type: UnitType, unit_id: int, period: Period
) -> list[tuple[date, Counts]]:
    """The stored days of one unit in the period (days without rows are all zero)."""
    stmt = (
        select(AssessmentDaily.day, *(getattr(AssessmentDaily, c) for c in COUNTERS))
        .where(
            AssessmentDaily.unit_type == unit_type.value,
            AssessmentDaily.unit_id == unit_id,
            AssessmentDaily.day >= period.first,
            AssessmentDaily.day <= period.last,
        )
        .order_by(AssessmentDaily.day)
    )
    return [(row[0], _counts(row[1:])) for row in session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class UnitInfo:
    unit_id: int
    name: str
    path: str = ""


def units_of_type(session: Session, unit_type: UnitType) -> list[UnitInfo]:
    """Every unit of the type: districts and streets from the territory, active departments
    and utilities."""
    if unit_type in (UnitType.DISTRICT, UnitType.STREET):
        # Only the regions of one level: a city holds tens of thousands of grids.
        return [
            UnitInfo(rid, name, path)
            for rid, name, path in territory_queries.regions_at_level(session, unit_type.value)
        ]
    if unit_type is UnitType.DEPARTMENT:
        return [
            UnitInfo(d.id, d.name)
            for d in territory_queries.list_departments(session)
            if d.is_active
        ]
    return [
        UnitInfo(u.id, u.name) for u in territory_queries.list_utilities(session) if u.is_active
    ]


def find_unit(session: Session, unit_type: UnitType, unit_id: int) -> UnitInfo | None:
    """The unit of this type with this id, as :func:`units_of_type` would list it, or None."""
    if unit_type in (UnitType.DISTRICT, UnitType.STREET):
        region = territory_queries.regions_by_ids(session, [unit_id]).get(unit_id)
        if region is None or region.level != unit_type.value:
            return None
        return UnitInfo(region.id, region.name, region.path)
    if unit_type is UnitType.DEPARTMENT:
        dept = territory_queries.find_department(session, unit_id)
        return UnitInfo(dept.id, dept.name) if dept is not None and dept.is_active else None
    util = territory_queries.find_utility(session, unit_id)
    return UnitInfo(util.id, util.name) if util is not None and util.is_active else None


def _metric_condition(metric: Metric, period: Period) -> ColumnElement[bool]:
    f = AssessmentFact
    on_response = f.response_day.between(period.first, period.last)
    on_eval = f.eval_day.between(period.first, period.last)
    valid = f.eval_state == EvalState.VALID.value
    conditions: dict[Metric, ColumnElement[bool]] = {
        Metric.RESPONSE_DUE: on_response
        & f.response_state.in_((ResponseState.ON_TIME.value, ResponseState.LATE.value)),
        Metric.RESPONSE_ON_TIME: on_response & (f.response_state == ResponseState.ON_TIME.value),
        Metric.RESPONSE_LATE: on_response & (f.response_state == ResponseState.LATE.value),
        Metric.VALID_CALLBACKS: on_eval & valid,
        Metric.RESOLVED: on_eval & valid & f.resolved.is_(True),
        Metric.UNRESOLVED: on_eval & valid & f.resolved.is_(False),
        Metric.SATISFIED: on_eval & valid & (f.satisfaction == SATISFIED),
        Metric.FAIRLY_SATISFIED: on_eval & valid & (f.satisfaction == FAIRLY_SATISFIED),
        Metric.DISSATISFIED: on_eval & valid & f.satisfaction.not_in((SATISFIED, FAIRLY_SATISFIED)),
        Metric.EXCLUDED: on_eval & (f.eval_state == EvalState.EXCLUDED.value),
    }
    return conditions[metric]


@dataclass(frozen=True, slots=True)
class DrillRow:
    """One appeal counted in a number."""

    appeal_id: int
    number: str
    title: str
    status: str
    received_at: datetime
    response_state: str
    response_day: date | None
    eval_state: str
    eval_day: date | None
    exclusion: str
    resolved: bool
    satisfaction: str


def drill_down(
    session: Session,
    unit_type: UnitType,
    unit_id: int,
    period: Period,
    metric: Metric,
    *,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[DrillRow], int]:
    """The appeals counted in ``metric`` for the unit and period (a page, newest first) and
    how many there are in all; the total always equals the number shown for the metric."""
    f = AssessmentFact
    where = (
        (f.unit_type == unit_type.value)
        & (f.unit_id == unit_id)
        & _metric_condition(metric, period)
    )
    total = session.scalar(select(func.count()).select_from(f).where(where)) or 0
    stmt = (
        select(
            f.appeal_id,
            f.response_state,
            f.response_day,
            f.eval_state,
            f.eval_day,
            f.exclusion,
            f.resolved,
            f.satisfaction,
        )
        .where(where)
        .order_by(f.appeal_id.desc())
        .offset(offset)
        .limit(limit)
    )
    facts = session.execute(stmt).all()
    headers = unscoped_facts.appeal_headers(session, [row.appeal_id for row in facts])
    rows = [
        DrillRow(
            appeal_id=row.appeal_id,
            number=header.number,
            title=header.title,
            status=header.status,
            received_at=header.received_at,
            response_state=row.response_state,
            response_day=row.response_day,
            eval_state=row.eval_state,
            eval_day=row.eval_day,
            exclusion=row.exclusion,
            resolved=row.resolved,
            satisfaction=row.satisfaction,
        )
        for row in facts
        if (header := headers.get(row.appeal_id)) is not None
    ]
    return rows, int(total)
