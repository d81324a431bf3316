"""Maintain the assessment tables from the appeals: facts per appeal and unit, counters per unit
and Beijing day. Joiners: every function here joins the caller's transaction (never commits);
the use cases in ``service.py`` wrap them.

* :func:`recompute_appeals` — the incremental path: recompute the facts of the given appeals and
  apply the difference (old contribution out, new in) to only the rollup rows (unit, day) that
  those appeals touched before or after the change.
* :func:`rebuild_all` — the full path: every fact by one ``INSERT … SELECT`` (the set-based
  twin of the pure rules, :func:`facts_sql.facts_select`), then the rollup by one aggregate.
* :func:`changed_appeal_ids` — which appeals changed since the watermark: the appeals'
  append-only timeline (``appeal_event``) records every change, so events with a higher id than
  the watermark name them, and facts whose response window has closed since are due too.

The rules themselves are pure (:mod:`civicgrid.assessment.rates`); the incremental path applies
them row by row to the snapshots of :mod:`civicgrid.assessment.snapshots`, the rebuild restates
them in SQL (:mod:`civicgrid.assessment.facts_sql`) so that millions of appeals never leave the
database. Tests and the benchmark check that both paths give the same rollup. The appeals are
read through ``appeals.queries.unscoped_facts``; only the assessment's own tables are
written here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import unscoped_facts
from civicgrid.assessment.facts_sql import facts_select, rollup_from_facts_stmt
from civicgrid.assessment.models import (
    COUNTERS,
    FACT_COLUMNS,
    AssessmentDaily,
    AssessmentFact,
    AssessmentWatermark,
)
from civicgrid.assessment.rates import (
    NO_UNITS,
    ZERO,
    AppealFact,
    Counts,
    EvalState,
    Exclusion,
    ResponseState,
    appeal_fact,
    fact_counts,
)
from civicgrid.assessment.snapshots import chunks, snapshots_for

WATERMARK = "rollup"
# Timeline ids are handed out when a row is inserted, not when its transaction commits, so an
# event may become visible after one with a higher id. The watermark therefore only moves past
# events older than this lag; newer ones are read again on the next run (recomputing is
# idempotent).
COMMIT_LAG = timedelta(minutes=5)

Key = tuple[str, int, date]


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
    for chunk in chunks(ids):
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
    for chunk in chunks(items):
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
        for pair_chunk in chunks(sorted(pairs)):
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
    settled = unscoped_facts.last_event_id_settled(
        session, after=after, at_or_before=now - COMMIT_LAG
    )
    return max(after, settled or 0)


def changed_appeal_ids(session: Session, *, after_event_id: int, now: datetime) -> set[int]:
    """Appeals with a timeline event newer than the watermark, plus appeals whose response
    window has closed since their fact was written (pending → late)."""
    ids = unscoped_facts.appeal_ids_with_events_after(session, after_event_id)
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


@dataclass(frozen=True, slots=True)
class RebuildResult:
    appeals: int
    facts: int
    daily_rows: int
    watermark: int


REBUILD_STEPS = 5
"""The steps :func:`rebuild_all` reports: cleared, facts written, indexes built, daily rollup
written, statistics and watermark."""


def rebuild_all(
    session: Session, *, now: datetime, progress: Callable[[int, int], None] | None = None
) -> RebuildResult:
    """Drop and recreate every fact and rollup row from the appeals. Joins the caller's
    transaction: rankings keep reading the old daily rows until it commits; drill-downs wait
    for it (the fact table's indexes are rebuilt inside the transaction).

    The work is a few set-based statements without row counts to follow, so
    ``progress(done, REBUILD_STEPS)`` hears after each of its steps."""

    def step(done: int) -> None:
        if progress is not None:
            progress(done, REBUILD_STEPS)

    step(0)
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
    step(1)
    conn.execute(insert(AssessmentFact).from_select(list(FACT_COLUMNS), facts_select(now)))
    n_appeals = unscoped_facts.count_appeals(session)
    n_facts = session.scalar(select(func.count()).select_from(AssessmentFact)) or 0
    step(2)
    for index in indexes:
        index.create(conn)
    step(3)
    session.execute(rollup_from_facts_stmt())
    step(4)
    if conn.dialect.name == "postgresql":
        # Fresh statistics, or the planner keeps the plans of the empty tables it last saw
        # (seq scans in the incremental job). ANALYZE may run inside a transaction.
        conn.execute(text("ANALYZE assessment_fact, assessment_daily"))
    daily = session.scalar(select(func.count()).select_from(AssessmentDaily)) or 0
    _set_watermark(session, mark, now)
    session.expire_all()
    step(5)
    return RebuildResult(appeals=n_appeals, facts=n_facts, daily_rows=daily, watermark=mark)
