"""Use cases of the assessment: the incremental refresh and the full rebuild of the rollup
tables, and the reads behind rankings, unit details, drill-downs and reports.

Who may read what: every staff role sees rankings (the monthly ranking is published to all
units, DOMAIN §1.6); the list of appeals behind a number is shown to an actor whose data scope
covers the unit (a street by region path, a department or utility by its post, centre roles
by the department's region or, for utilities, a city-wide post). Residents see none of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from civicgrid.assessment import queries, rollup
from civicgrid.assessment.periods import Period
from civicgrid.assessment.ranking import RankedUnit, UnitResult, UnitType, rank_units
from civicgrid.assessment.rates import (
    DEFAULT_CONFIG,
    AssessmentConfig,
    Counts,
    Metric,
    Rates,
    rates,
)
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import depth

CENTRE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})
MAX_PAGE = 500


# --- maintenance (jobs, CLI) ------------------------------------------------------------------


@use_case
def refresh(session: Session, *, now: datetime) -> rollup.RefreshResult:
    """Bring the rollup up to date with the appeals changed since the last run (and with
    response windows that closed since): one transaction."""
    return rollup.refresh(session, now=now)


@use_case
def rebuild(
    session: Session, *, now: datetime, progress: Callable[[int, int], None] | None = None
) -> rollup.RebuildResult:
    """Recreate every fact and rollup row from the appeals in one transaction: rankings keep
    showing the old figures until it commits; drill-downs wait for it. ``progress(done,
    total)`` hears after each step (see :func:`rollup.rebuild_all`)."""
    return rollup.rebuild_all(session, now=now, progress=progress)


# --- reads ------------------------------------------------------------------------------------


def require_viewer(actor: Actor) -> None:
    """Staff only: residents do not see unit assessments."""
    if not actor.roles or actor.roles <= {Role.RESIDENT}:
        raise Forbidden("没有权限查看考核排名")


@dataclass(frozen=True, slots=True)
class Ranking:
    period: Period
    previous: Period
    unit_type: UnitType
    config: AssessmentConfig
    units: list[RankedUnit]
    totals: Counts

    @property
    def total_rates(self) -> Rates:
        return rates(self.totals, self.config)


def ranking(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    unit_type: UnitType,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> Ranking:
    """Every unit of the type ranked by composite score in the period, with its class (the
    previous period decides 进步类) and warning colour; units without data come last."""
    require_viewer(actor)
    previous = period.previous()
    current = queries.period_counts(session, unit_type, period)
    before = queries.period_counts(session, unit_type, previous)
    units = queries.units_of_type(session, unit_type)
    known = {u.unit_id for u in units}
    # A unit deleted or deactivated since still answers for its appeals in the period.
    extra = [queries.UnitInfo(uid, f"#{uid}") for uid in sorted(set(current) - known)]
    results = [
        UnitResult(u.unit_id, u.name, current.get(u.unit_id, Counts()), before.get(u.unit_id))
        for u in [*units, *extra]
    ]
    totals = sum((r.counts for r in results), Counts())
    return Ranking(period, previous, unit_type, config, rank_units(results, config), totals)


@dataclass(frozen=True, slots=True)
class UnitDetail:
    period: Period
    unit_type: UnitType
    unit: queries.UnitInfo
    ranked: RankedUnit
    of: int
    days: list[tuple[date, Counts]]
    can_drill: bool


def unit_detail(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    unit_type: UnitType,
    unit_id: int,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> UnitDetail:
    """One unit's figures, rank and class in the period, with its daily counters."""
    unit = _unit(session, unit_type, unit_id)
    table = ranking(session, actor=actor, period=period, unit_type=unit_type, config=config)
    ranked = next(u for u in table.units if u.unit_id == unit_id)
    ranked_count = sum(1 for u in table.units if u.rank is not None)
    return UnitDetail(
        period=period,
        unit_type=unit_type,
        unit=unit,
        ranked=ranked,
        of=ranked_count,
        days=queries.daily_series(session, unit_type, unit_id, period),
        can_drill=may_drill(session, actor, unit_type, unit),
    )


@dataclass(frozen=True, slots=True)
class DrillPage:
    unit: queries.UnitInfo
    metric: Metric
    rows: list[queries.DrillRow]
    total: int
    offset: int
    limit: int


def drill(
    session: Session,
    *,
    actor: Actor,
    period: Period,
    unit_type: UnitType,
    unit_id: int,
    metric: Metric,
    offset: int = 0,
    limit: int = 50,
) -> DrillPage:
    """The appeals counted in one number of one unit (a page and the total)."""
    require_viewer(actor)
    unit = _unit(session, unit_type, unit_id)
    if not may_drill(session, actor, unit_type, unit):
        raise Forbidden("没有权限查看该单位的工单明细")
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    rows, total = queries.drill_down(
        session, unit_type, unit_id, period, metric, offset=offset, limit=limit
    )
    return DrillPage(unit, metric, rows, total, offset, limit)


def _unit(session: Session, unit_type: UnitType, unit_id: int) -> queries.UnitInfo:
    unit = queries.find_unit(session, unit_type, unit_id)
    if unit is None:
        raise NotFound(f"考核单位不存在：{unit_type.label} {unit_id}")
    return unit


def may_drill(session: Session, actor: Actor, unit_type: UnitType, unit: queries.UnitInfo) -> bool:
    """Whether the actor may see the appeals behind this unit's numbers."""
    scope = actor.scope
    if scope.is_global:
        return True
    if unit_type in (UnitType.DISTRICT, UnitType.STREET):
        return scope.covers_path(unit.path)
    centre = actor.has_role(*CENTRE_ROLES)
    if unit_type is UnitType.DEPARTMENT:
        if scope.covers_department(unit.unit_id):
            return True
        dept = territory_queries.find_department(session, unit.unit_id)
        if not centre or dept is None:
            return False
        path = territory_queries.region_paths(session, [dept.region_id]).get(dept.region_id)
        return path is not None and scope.covers_path(path)
    if scope.covers_utility(unit.unit_id):
        return True
    return centre and any(depth(p) == 1 for p in scope.region_paths)


CONFIG_FILE = "assessment.json"


def load_config(var_dir: Path) -> AssessmentConfig:
    """The assessment parameters: defaults overridden by ``<var>/assessment.json`` when that
    file exists (an object of AssessmentConfig field names to numbers)."""
    path = var_dir / CONFIG_FILE
    if not path.exists():
        return DEFAULT_CONFIG
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Invalid(f"考核参数文件 {path} 无法读取：{exc}") from None
    if not isinstance(values, dict):
        raise Invalid(f"考核参数文件 {path} 应为 JSON 对象")
    return AssessmentConfig.from_mapping(values)
