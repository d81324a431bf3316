"""Maintain the assessment tables from the appeals: facts per appeal and unit, counters per unit
and Beijing day. Joiners: every function here joins the caller's transaction (never commits);
the use cases in ``service.py`` wrap them.

* :func:`recompute_appeals` — the incremental path: recompute the facts of the given appeals and
  apply the difference (old contribution out, new in) to only the rollup rows (unit, day) that
  those appeals touched before or after the change.
* :func:`rebuild_all` — the full path: every fact by one ``INSERT … SELECT`` (the set-based
  twin of the pure rules, :func:`facts_select`), then the rollup by one aggregate.
* :func:`changed_appeal_ids` — which appeals changed since the watermark: the appeals'
  append-only timeline (``appeal_event``) records every change, so events with a higher id than
  the watermark name them, and facts whose response window has closed since are due too.

The rules themselves are pure (:mod:`civicgrid.assessment.rates`); the incremental path applies
them row by row, the rebuild restates them in SQL so that millions of appeals never leave the
database. Tests and the benchmark check that both paths give the same rollup. This module reads
the appeals and region tables directly, set-based, for that reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from civicgrid.appeals.models import Appeal, AppealUnit, Callback, TimelineEvent
from civicgrid.assessment.models import AssessmentDaily, AssessmentFact, AssessmentWatermark
from civicgrid.assessment.rates import (
    FAIRLY_SATISFIED,
    NO_UNITS,
    SATISFIED,
    STATUS_ANSWERED_DIRECTLY,
    STATUS_MERGED,
    STATUS_TERMINATED,
    ZERO,
    AppealFact,
    AppealSnapshot,
    Counts,
    EvalState,
    Exclusion,
    ResponseState,
    UnitKeys,
    appeal_fact,
    fact_counts,
    region_unit_keys,
)
from civicgrid.db import UTCDateTime
from civicgrid.territory.hierarchy import path_ids
from civicgrid.territory.models import Region

WATERMARK = "rollup"
CHUNK = 500
# Timeline ids are handed out when a row is inserted, not when its transaction commits, so an
# event may become visible after one with a higher id. The watermark therefore only moves past
# events older than this lag; newer ones are read again on the next run (recomputing is
# idempotent).
COMMIT_LAG = timedelta(minutes=5)
ANSWER_DIRECTLY_DISPOSITION = "answer_directly"

Key = tuple[str, int, date]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- reading the appeals --------------------------------------------------------------------


def region_levels(session: Session) -> dict[int, str]:
    """Level of every district and street (what a region unit's path resolves to)."""
    stmt = select(Region.id, Region.level).where(Region.level.in_(("district", "street")))
    return {row.id: row.level for row in session.execute(stmt)}


def _source(appeal_filter: Any, callback_filter: Any) -> Select[*tuple[Any, ...]]:
    lead = aliased(AppealUnit)
    latest = (
        select(Callback.appeal_id, func.max(Callback.at).label("at"))
        .where(callback_filter)
        .group_by(Callback.appeal_id)
        .subquery()
    )
    return (
        select(
            Appeal.id,
            Appeal.status,
            Appeal.disposition,
            Appeal.excluded_from_rates,
            Appeal.response_due_at,
            Appeal.signed_at,
            Appeal.contacted_at,
            Appeal.closed_at,
            Appeal.resolved,
            Appeal.satisfaction,
            lead.unit_kind,
            lead.unit_id,
            lead.unit_path,
            latest.c.at,
        )
        .outerjoin(
            lead,
            and_(lead.appeal_id == Appeal.id, lead.role == "lead", lead.released_at.is_(None)),
        )
        .outerjoin(latest, latest.c.appeal_id == Appeal.id)
        .where(appeal_filter)
    )


def _units(
    kind: str | None, unit_id: int | None, path: str | None, levels: Mapping[int, str]
) -> UnitKeys:
    if kind is None or unit_id is None:
        return UnitKeys()
    if kind == "department":
        return UnitKeys(department_id=unit_id)
    if kind == "utility":
        return UnitKeys(utility_id=unit_id)
    return region_unit_keys(path_ids(path or f"/{unit_id}/"), levels)


def _snapshots(
    session: Session, stmt: Select[*tuple[Any, ...]], levels: Mapping[int, str]
) -> list[AppealSnapshot]:
    out: dict[int, AppealSnapshot] = {}
    # Core execution: the rows are plain tuples, no ORM identity work (a rebuild reads millions).
    for row in session.connection().execute(stmt):
        (aid, status, disposition, excluded, due, signed, contacted, closed, resolved,
         satisfaction, kind, unit_id, path, cb_at) = row  # fmt: skip
        out[aid] = AppealSnapshot(
            appeal_id=aid,
            status=status,
            units=_units(kind, unit_id, path, levels),
            response_due_at=due,
            signed_at=signed,
            contacted_at=contacted,
            closed_at=closed,
            callback_at=_aware(cb_at),
            resolved=resolved,
            satisfaction=satisfaction,
            answered_directly=disposition == ANSWER_DIRECTLY_DISPOSITION,
            unreasonable=bool(excluded),
        )
    return list(out.values())


def _aware(value: object) -> datetime | None:
    # func.max() loses the column type on SQLite, which returns the stored naive UTC text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"unexpected callback time {value!r}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def snapshots_for(
    session: Session, appeal_ids: Sequence[int], levels: Mapping[int, str] | None = None
) -> list[AppealSnapshot]:
    """The assessment view of the given appeals."""
    levels = region_levels(session) if levels is None else levels
    result: list[AppealSnapshot] = []
    for chunk in _chunks(sorted(set(appeal_ids))):
        stmt = _source(Appeal.id.in_(chunk), Callback.appeal_id.in_(chunk))
        result.extend(_snapshots(session, stmt, levels))
    return result


# --- facts ------------------------------------------------------------------------------------


def fact_rows(fact: AppealFact) -> list[dict[str, Any]]:
    """The stored rows of one appeal's fact: one per assessed unit, none when nothing counts
    or is pending."""
    if fact.response_state is ResponseState.NONE and fact.eval_state is EvalState.NONE:
        return []
    return [
        {
            "appeal_id": fact.appeal_id,
            "unit_type": kind,
            "unit_id": unit_id,
            "response_state": fact.response_state.value,
            "response_day": fact.response_day,
            "response_due_at": fact.response_due_at,
            "eval_state": fact.eval_state.value,
            "eval_day": fact.eval_day,
            "exclusion": fact.exclusion.value,
            "resolved": fact.resolved,
            "satisfaction": fact.satisfaction,
        }
        for kind, unit_id in fact.units.pairs()
    ]


FACT_COLUMNS = (
    "appeal_id",
    "unit_type",
    "unit_id",
    "response_state",
    "response_day",
    "response_due_at",
    "eval_state",
    "eval_day",
    "exclusion",
    "resolved",
    "satisfaction",
)


COUNTERS = (
    "response_due",
    "response_on_time",
    "valid_callbacks",
    "resolved",
    "satisfied",
    "fairly_satisfied",
    "excluded",
)


def _counts_dict(c: Counts) -> dict[str, int]:
    return {
        "response_due": c.response_due,
        "response_on_time": c.response_on_time,
        "valid_callbacks": c.valid_callbacks,
        "resolved": c.resolved,
        "satisfied": c.satisfied,
        "fairly_satisfied": c.fairly_satisfied,
        "excluded": c.excluded,
    }


@dataclass(frozen=True, slots=True)
class RefreshResult:
    appeals: int
    keys: int
    watermark: int


_FACT_COLS = tuple(getattr(AssessmentFact, name) for name in FACT_COLUMNS)


def _fact_from_row(row: Any) -> AppealFact:
    return AppealFact(
        appeal_id=row.appeal_id,
        units=NO_UNITS,
        response_state=ResponseState(row.response_state),
        response_day=row.response_day,
        response_due_at=row.response_due_at,
        eval_state=EvalState(row.eval_state),
        eval_day=row.eval_day,
        exclusion=Exclusion(row.exclusion),
        resolved=row.resolved,
        satisfaction=row.satisfaction,
    )


def _contributions(unit_type: str, unit_id: int, fact: AppealFact) -> dict[Key, Counts]:
    """What one stored fact row adds to the rollup, by key (``rates.fact_counts``)."""
    days = {d for d in (fact.response_day, fact.eval_day) if d is not None}
    return {(unit_type, unit_id, d): fact_counts(fact, d) for d in days}


def recompute_appeals(
    session: Session,
    appeal_ids: Iterable[int],
    *,
    now: datetime,
    levels: Mapping[int, str] | None = None,
) -> int:
    """Recompute the facts of the given appeals and apply the difference to the rollup rows
    they touch, before and after the change (old contribution out, new one in); returns the
    number of (unit, day) keys changed. The cost is per changed appeal, not per appeal of the
    unit and day. Joins the caller's transaction."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return 0
    delta: dict[Key, Counts] = defaultdict(Counts)
    conn = session.connection()
    for chunk in _chunks(ids):
        old = conn.execute(select(*_FACT_COLS).where(AssessmentFact.appeal_id.in_(chunk)))
        for stored in old:
            contribution = _contributions(stored.unit_type, stored.unit_id, _fact_from_row(stored))
            for key, c in contribution.items():
                delta[key] = delta[key] - c
        conn.execute(delete(AssessmentFact).where(AssessmentFact.appeal_id.in_(chunk)))
    rows: list[dict[str, Any]] = []
    for snap in snapshots_for(session, ids, levels):
        fact = appeal_fact(snap, now)
        for new in fact_rows(fact):
            rows.append(new)
            for key, c in _contributions(new["unit_type"], new["unit_id"], fact).items():
                delta[key] = delta[key] + c
    if rows:
        conn.execute(insert(AssessmentFact), rows)
    changed = {k: c for k, c in delta.items() if c != ZERO}
    apply_deltas(session, changed)
    return len(changed)


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        return pg_insert(AssessmentDaily)
    return sqlite_insert(AssessmentDaily)


def apply_deltas(session: Session, deltas: Mapping[Key, Counts]) -> None:
    """Add ``deltas`` to the rollup rows (creating missing ones with one upsert per chunk) and
    remove rows whose counters all came back to zero. Joins the caller's transaction."""
    if not deltas:
        return
    conn = session.connection()
    items = sorted(deltas.items())
    for chunk in _chunks(items):
        stmt = _upsert(conn.dialect.name)
        stmt = stmt.on_conflict_do_update(
            index_elements=["unit_type", "unit_id", "day"],
            set_={name: getattr(AssessmentDaily, name) + stmt.excluded[name] for name in COUNTERS},
        )
        conn.execute(
            stmt,
            [{"unit_type": t, "unit_id": u, "day": d, **_counts_dict(c)} for (t, u, d), c in chunk],
        )
    by_type: dict[str, list[tuple[int, date]]] = defaultdict(list)
    for unit_type, unit_id, day in deltas:
        by_type[unit_type].append((unit_id, day))
    for unit_type, pairs in by_type.items():
        for pair_chunk in _chunks(sorted(pairs)):
            conn.execute(
                delete(AssessmentDaily).where(
                    AssessmentDaily.unit_type == unit_type,
                    tuple_(AssessmentDaily.unit_id, AssessmentDaily.day).in_(pair_chunk),
                    *(getattr(AssessmentDaily, name) == 0 for name in COUNTERS),
                )
            )
    session.expire_all()


def watermark(session: Session) -> AssessmentWatermark | None:
    return session.get(AssessmentWatermark, WATERMARK)


def _set_watermark(session: Session, event_id: int, now: datetime) -> None:
    row = watermark(session)
    if row is None:
        session.add(AssessmentWatermark(name=WATERMARK, last_event_id=event_id, updated_at=now))
    else:
        row.last_event_id = event_id
        row.updated_at = now
    session.flush()


def _settled_event_id(session: Session, after: int, now: datetime) -> int:
    """The highest event id after ``after`` that is older than the commit lag (or ``after``)."""
    settled = session.scalar(
        select(func.max(TimelineEvent.id)).where(
            TimelineEvent.id > after, TimelineEvent.at <= now - COMMIT_LAG
        )
    )
    return max(after, settled or 0)


def changed_appeal_ids(session: Session, *, after_event_id: int, now: datetime) -> set[int]:
    """Appeals with a timeline event newer than the watermark, plus appeals whose response
    window has closed since their fact was written (pending → late)."""
    ids = set(
        session.scalars(
            select(TimelineEvent.appeal_id).where(TimelineEvent.id > after_event_id).distinct()
        )
    )
    ids.update(
        session.scalars(
            select(AssessmentFact.appeal_id)
            .where(
                AssessmentFact.response_state == ResponseState.PENDING.value,
                AssessmentFact.response_due_at <= now,
            )
            .distinct()
        )
    )
    return ids


def refresh(session: Session, *, now: datetime) -> RefreshResult:
    """The incremental step: recompute what changed since the watermark, then move it.
    Joins the caller's transaction."""
    mark = watermark(session)
    after = mark.last_event_id if mark is not None else 0
    ids = changed_appeal_ids(session, after_event_id=after, now=now)
    keys = recompute_appeals(session, ids, now=now) if ids else 0
    new_mark = _settled_event_id(session, after, now)
    _set_watermark(session, new_mark, now)
    return RefreshResult(appeals=len(ids), keys=keys, watermark=new_mark)


# --- full rebuild -----------------------------------------------------------------------------


class _BeijingDate(FunctionElement[date]):
    """The Beijing calendar date of a UTC timestamp column (same as ``periods.local_date``)."""

    type = Date()
    inherit_cache = True


@compiles(_BeijingDate, "postgresql")
def _beijing_date_pg(element: _BeijingDate, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai')::date"


@compiles(_BeijingDate, "sqlite")
def _beijing_date_sqlite(element: _BeijingDate, compiler: Any, **kw: Any) -> str:
    # SQLite stores naive UTC text; Beijing has kept UTC+8 without daylight saving since 1991.
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


def facts_select(now: datetime) -> Any:
    """Every appeal's fact rows as one SELECT: the set-based twin of ``rates.appeal_fact`` +
    :func:`fact_rows`, used by the rebuild. The property tests and the benchmark check that both
    give the same rollup."""
    lead = aliased(AppealUnit)
    latest = (
        select(Callback.appeal_id, func.max(Callback.at).label("at"))
        .group_by(Callback.appeal_id)
        .subquery()
    )
    due = Appeal.response_due_at
    responded = and_(
        Appeal.signed_at.is_not(None),
        Appeal.contacted_at.is_not(None),
        Appeal.signed_at <= due,
        Appeal.contacted_at <= due,
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
                Appeal.disposition == ANSWER_DIRECTLY_DISPOSITION,
                Appeal.status == STATUS_ANSWERED_DIRECTLY,
            ),
            Exclusion.ANSWERED_DIRECTLY.value,
        ),
        (Appeal.status == STATUS_TERMINATED, Exclusion.TERMINATED.value),
        (Appeal.excluded_from_rates == true(), Exclusion.UNREASONABLE.value),
        else_=Exclusion.NONE.value,
    )
    base = (
        select(
            Appeal.id.label("appeal_id"),
            lead.unit_kind.label("unit_kind"),
            lead.unit_id.label("lead_id"),
            Region.level.label("region_level"),
            Region.parent_id.label("region_parent"),
            response_state.label("response_state"),
            due.label("due"),
            exclusion.label("exclusion"),
            latest.c.at.label("cb_at"),
            Appeal.closed_at.label("closed_at"),
            Appeal.resolved.label("resolved"),
            Appeal.satisfaction.label("satisfaction"),
        )
        .join(
            lead,
            and_(lead.appeal_id == Appeal.id, lead.role == "lead", lead.released_at.is_(None)),
        )
        .outerjoin(Region, and_(lead.unit_kind == "region", Region.id == lead.unit_id))
        .outerjoin(latest, latest.c.appeal_id == Appeal.id)
        .where(Appeal.status != STATUS_MERGED)
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
        case((counted, _BeijingDate(m.due)), else_=None),
        m.due,
        m.eval_state,
        case((m.eval_state != EvalState.NONE.value, _BeijingDate(m.anchor)), else_=None),
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


@dataclass(frozen=True, slots=True)
class RebuildResult:
    appeals: int
    facts: int
    daily_rows: int
    watermark: int


def rebuild_all(session: Session, *, now: datetime) -> RebuildResult:
    """Drop and recreate every fact and rollup row from the appeals. Joins the caller's
    transaction: rankings keep reading the old daily rows until it commits; drill-downs wait
    for it (the fact table's indexes are rebuilt inside the transaction)."""
    after = 0
    mark = _settled_event_id(session, after, now)
    # Loading into a table without its secondary indexes and building them afterwards is
    # several times faster than maintaining them row by row (measured on PostgreSQL: COPY of
    # the facts 5× faster). The indexes are the model's, so their names match the migration.
    conn = session.connection()
    table = AssessmentFact.__table__
    assert isinstance(table, Table)
    indexes = sorted(table.indexes, key=lambda ix: str(ix.name))
    for index in indexes:
        index.drop(conn)
    conn.execute(delete(AssessmentDaily))
    conn.execute(delete(AssessmentFact))
    conn.execute(insert(AssessmentFact).from_select(list(FACT_COLUMNS), facts_select(now)))
    n_appeals = session.scalar(select(func.count()).select_from(Appeal)) or 0
    n_facts = session.scalar(select(func.count()).select_from(AssessmentFact)) or 0
    for index in indexes:
        index.create(conn)
    session.execute(rollup_from_facts_stmt())
    if conn.dialect.name == "postgresql":
        # Fresh statistics, or the planner keeps the plans of the empty tables it last saw
        # (seq scans in the incremental job). ANALYZE may run inside a transaction.
        conn.execute(text("ANALYZE assessment_fact, assessment_daily"))
    daily = session.scalar(select(func.count()).select_from(AssessmentDaily)) or 0
    _set_watermark(session, mark, now)
    session.expire_all()
    return RebuildResult(appeals=n_appeals, facts=n_facts, daily_rows=daily, watermark=mark)
