"""The rebuild's statements: the pure rules of :mod:`civicgrid.assessment.rates` restated in
SQL, so that a full rebuild never brings millions of appeals out of the database.

* :func:`facts_select` — every appeal's fact rows, the twin of ``rates.appeal_fact`` +
  ``rollup.fact_rows``;
* :func:`rollup_from_facts_stmt` — the daily rollup of every fact, the twin of
  ``rates.fact_counts``.

The property tests and the benchmark check that both paths give the same rollup. The appeals
and the regions are read through their packages' statement builders
(``appeals.queries.unscoped_facts``, ``territory.queries``). Builds statements only; runs
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, insert, literal, or_, select, true, union_all

from civicgrid.appeals.queries import unscoped_facts
from civicgrid.assessment.models import COUNTERS, AssessmentDaily, AssessmentFact
from civicgrid.assessment.rates import (
    FAIRLY_SATISFIED,
    SATISFIED,
    STATUS_ANSWERED_DIRECTLY,
    STATUS_MERGED,
    STATUS_TERMINATED,
    EvalState,
    Exclusion,
    ResponseState,
)
from civicgrid.assessment.snapshots import ANSWER_DIRECTLY_DISPOSITION
from civicgrid.db import UTCDateTime
from civicgrid.kit.sql_dates import BeijingDate
from civicgrid.territory import queries as territory_queries


def facts_select(now: datetime) -> Any:
    """Every appeal's fact rows as one SELECT (columns in ``models.FACT_COLUMNS`` order): the
    set-based twin of ``rates.appeal_fact`` + ``rollup.fact_rows``, used by the rebuild."""
    source = unscoped_facts.assessment_source(
        lead_only=True, leave_out_status=STATUS_MERGED
    ).subquery()
    a = source.c
    region = territory_queries.region_parents_select().subquery()
    due = a.response_due_at
    responded = and_(
        a.signed_at.is_not(None),
        a.contacted_at.is_not(None),
        a.signed_at <= due,
        a.contacted_at <= due,
    )
    response_state = case(
        (due.is_(None), ResponseState.NONE.value),
        (responded, ResponseState.ON_TIME.value),
        (literal(now, UTCDateTime()) < due, ResponseState.PENDING.value),
        else_=ResponseState.LATE.value,
    )
    exclusion = case(
        (
            or_(
                a.disposition == ANSWER_DIRECTLY_DISPOSITION,
                a.status == STATUS_ANSWERED_DIRECTLY,
            ),
            Exclusion.ANSWERED_DIRECTLY.value,
        ),
        (a.excluded_from_rates == true(), Exclusion.UNREASONABLE.value),
        (a.status == STATUS_TERMINATED, Exclusion.TERMINATED.value),
        else_=Exclusion.NONE.value,
    )
    base = (
        select(
            a.appeal_id,
            a.unit_kind,
            a.unit_id.label("lead_id"),
            region.c.level.label("region_level"),
            region.c.parent_id.label("region_parent"),
            response_state.label("response_state"),
            due.label("due"),
            exclusion.label("exclusion"),
            a.callback_at.label("cb_at"),
            a.closed_at,
            a.resolved,
            a.satisfaction,
        )
        .select_from(source)
        .outerjoin(region, and_(a.unit_kind == "region", region.c.id == a.unit_id))
        .subquery()
    )
    b = base.c
    anchor = case(
        (b.cb_at.is_not(None), b.cb_at),
        (b.exclusion != Exclusion.NONE.value, b.closed_at),
        else_=None,
    )
    eval_state = case(
        (anchor.is_(None), EvalState.NONE.value),
        (b.exclusion != Exclusion.NONE.value, EvalState.EXCLUDED.value),
        (b.satisfaction.is_not(None), EvalState.VALID.value),
        else_=EvalState.NONE.value,
    )
    mid = select(*b, anchor.label("anchor"), eval_state.label("eval_state")).subquery()
    m = mid.c
    valid = m.eval_state == EvalState.VALID.value
    counted = m.response_state.in_((ResponseState.ON_TIME.value, ResponseState.LATE.value))
    common = (
        m.response_state,
        case((counted, BeijingDate(m.due)), else_=None),
        m.due,
        m.eval_state,
        case((m.eval_state != EvalState.NONE.value, BeijingDate(m.anchor)), else_=None),
        case((m.eval_state == EvalState.EXCLUDED.value, m.exclusion), else_=""),
        case((valid, func.coalesce(m.resolved, false())), else_=false()),
        case((valid, func.coalesce(m.satisfaction, "")), else_=""),
    )
    keep = or_(m.response_state != ResponseState.NONE.value, m.eval_state != EvalState.NONE.value)
    district_id = case((m.region_level == "district", m.lead_id), else_=m.region_parent)
    parts = [
        select(m.appeal_id, literal("street"), m.lead_id, *common).where(
            keep, m.unit_kind == "region", m.region_level == "street"
        ),
        select(m.appeal_id, literal("district"), district_id, *common).where(
            keep, m.unit_kind == "region", m.region_level.in_(("street", "district"))
        ),
        select(m.appeal_id, literal("department"), m.lead_id, *common).where(
            keep, m.unit_kind == "department"
        ),
        select(m.appeal_id, literal("utility"), m.lead_id, *common).where(
            keep, m.unit_kind == "utility"
        ),
    ]
    return union_all(*parts)


def rollup_from_facts_stmt() -> Any:
    """``INSERT INTO assessment_daily SELECT …``: the rollup of every fact in one aggregate,
    the set-based twin of ``rates.fact_counts``."""
    f = AssessmentFact
    responded = f.response_state.in_((ResponseState.ON_TIME.value, ResponseState.LATE.value))
    valid = f.eval_state == EvalState.VALID.value

    def flag(cond: Any) -> Any:
        return case((cond, 1), else_=0)

    zero = literal(0)
    response_part = select(
        f.unit_type.label("unit_type"),
        f.unit_id.label("unit_id"),
        f.response_day.label("day"),
        literal(1).label("response_due"),
        flag(f.response_state == ResponseState.ON_TIME.value).label("response_on_time"),
        zero.label("valid_callbacks"),
        zero.label("resolved"),
        zero.label("satisfied"),
        zero.label("fairly_satisfied"),
        zero.label("excluded"),
    ).where(responded)
    eval_filter = f.eval_state.in_((EvalState.VALID.value, EvalState.EXCLUDED.value))
    eval_part = select(
        f.unit_type,
        f.unit_id,
        f.eval_day,
        zero,
        zero,
        flag(valid),
        flag(and_(valid, f.resolved)),
        flag(and_(valid, f.satisfaction == SATISFIED)),
        flag(and_(valid, f.satisfaction == FAIRLY_SATISFIED)),
        flag(f.eval_state == EvalState.EXCLUDED.value),
    ).where(eval_filter)
    both = union_all(response_part, eval_part).subquery()
    counters = COUNTERS
    agg = select(
        both.c.unit_type,
        both.c.unit_id,
        both.c.day,
        *(func.sum(both.c[name]) for name in counters),
    ).group_by(both.c.unit_type, both.c.unit_id, both.c.day)
    return insert(AssessmentDaily).from_select(["unit_type", "unit_id", "day", *counters], agg)
