"""Read side of appeals for dashboards: counts and timestamps within the viewer's data scope.

Every function takes the actor and applies ``access.scope_condition``,
so a leader of one district never counts another district's appeals. Periods are given as UTC
instants ``[start, end)``; grouping by local day or by catalogue level is the caller's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.queries.access import (
    overdue_condition,
    scope_condition,
    warning_condition,
)
from civicgrid.appeals.states import TERMINAL_STATUSES, AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.kit.sql_dates import BeijingDate

OPEN_STATUSES = tuple(sorted(s.value for s in AppealStatus if s not in TERMINAL_STATUSES))


def _received_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return (Appeal.received_at >= start) & (Appeal.received_at < end)


def _closed_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return (
        (Appeal.status == AppealStatus.CLOSED.value)
        & (Appeal.closed_at >= start)
        & (Appeal.closed_at < end)
    )


def _count(session: Session, *conds: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count(Appeal.id)).where(*conds)) or 0)


def count_received_for(session: Session, actor: Actor, *, start: datetime, end: datetime) -> int:
    """Appeals in ``actor``'s scope received in ``[start, end)``."""
    return _count(session, scope_condition(actor), _received_in(start, end))


def count_closed_for(session: Session, actor: Actor, *, start: datetime, end: datetime) -> int:
    """Appeals in ``actor``'s scope closed (已结案) in ``[start, end)``."""
    return _count(session, scope_condition(actor), _closed_in(start, end))


def count_open_for(session: Session, actor: Actor) -> int:
    """Appeals in ``actor``'s scope not in a final status now."""
    return _count(session, scope_condition(actor), Appeal.status.in_(OPEN_STATUSES))


def count_overdue_for(session: Session, actor: Actor, *, now: datetime) -> int:
    """Appeals in ``actor``'s scope whose running deadline passed before ``now``."""
    return _count(session, scope_condition(actor), overdue_condition(now))


def open_and_overdue_for(session: Session, actor: Actor, *, now: datetime) -> tuple[int, int]:
    """(open, overdue) appeals in ``actor``'s scope now, in one statement: the same figures as
    :func:`count_open_for` and :func:`count_overdue_for`."""
    overdue = func.coalesce(func.sum(case((overdue_condition(now), 1), else_=0)), 0)
    row = session.execute(
        select(func.count(Appeal.id), overdue).where(
            scope_condition(actor), Appeal.status.in_(OPEN_STATUSES)
        )
    ).one()
    return int(row[0]), int(row[1])


@dataclass(frozen=True, slots=True)
class LiveFigures:
    """A live stretch's figures and the open / overdue appeals now, from one statement."""

    received_per_day: dict[date, int]
    closed_per_day: dict[date, int]
    per_category: dict[str, int]
    open_now: int
    overdue_now: int


def live_figures_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime, now: datetime
) -> LiveFigures:
    """The appeals in scope received in ``[start, end)`` per Beijing day and per catalogue
    code, those closed in it per Beijing day, and the open and overdue ones at ``now``: the
    same figures as :func:`received_per_day_for`, :func:`closed_per_day_for`,
    ``category_counts_for`` and :func:`open_and_overdue_for`, but the data scope is applied
    once, to the rows any of them needs (one statement: a scoped set, grouped three ways)."""
    received = _received_in(start, end)
    closed = _closed_in(start, end)
    is_open = Appeal.status.in_(OPEN_STATUSES)
    rows = (
        select(
            case((received, BeijingDate(Appeal.received_at))).label("r_day"),
            case((received, func.coalesce(Appeal.category, ""))).label("code"),
            case((closed, BeijingDate(Appeal.closed_at))).label("c_day"),
            case((is_open, 1), else_=0).label("open"),
            case((is_open & overdue_condition(now), 1), else_=0).label("overdue"),
        )
        .where(scope_condition(actor), or_(received, closed, is_open))
        .cte("live_rows")
    )
    n = func.count().label("n")
    by_received = (
        select(literal("r").label("kind"), rows.c.r_day.label("day"), rows.c.code, n, literal(0))
        .where(rows.c.r_day.is_not(None))
        .group_by(rows.c.r_day, rows.c.code)
    )
    by_closed = (
        select(literal("c"), rows.c.c_day, literal(""), n, literal(0))
        .where(rows.c.c_day.is_not(None))
        .group_by(rows.c.c_day)
    )
    now_open = select(
        literal("o"),
        null(),
        literal(""),
        func.coalesce(func.sum(rows.c.open), 0),
        func.coalesce(func.sum(rows.c.overdue), 0),
    )
    received_per_day: dict[date, int] = {}
    closed_per_day: dict[date, int] = {}
    per_category: dict[str, int] = {}
    open_now = overdue_now = 0
    for kind, day, code, count, extra in session.execute(
        union_all(by_received, by_closed, now_open)
    ):
        if kind == "r":
            received_per_day[day] = received_per_day.get(day, 0) + int(count)
            per_category[code or ""] = per_category.get(code or "", 0) + int(count)
        elif kind == "c":
            closed_per_day[day] = int(count)
        else:
            open_now, overdue_now = int(count), int(extra)
    return LiveFigures(received_per_day, closed_per_day, per_category, open_now, overdue_now)


def received_per_day_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> dict[date, int]:
    """Appeals in scope received in ``[start, end)`` per Beijing day, counted in SQL."""
    day = BeijingDate(Appeal.received_at)
    stmt = (
        select(day, func.count(Appeal.id))
        .where(scope_condition(actor), _received_in(start, end))
        .group_by(day)
    )
    return {d: int(n) for d, n in session.execute(stmt)}


def closed_per_day_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> dict[date, int]:
    """Appeals in scope closed (已结案) in ``[start, end)`` per Beijing day, counted in SQL."""
    day = BeijingDate(Appeal.closed_at)
    stmt = (
        select(day, func.count(Appeal.id))
        .where(scope_condition(actor), _closed_in(start, end))
        .group_by(day)
    )
    return {d: int(n) for d, n in session.execute(stmt)}


def received_by_region_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> dict[int, int]:
    """Appeals in scope received in ``[start, end)`` per region (every region that has any)."""
    stmt = (
        select(Appeal.region_id, func.count(Appeal.id))
        .where(scope_condition(actor), _received_in(start, end), Appeal.region_id.is_not(None))
        .group_by(Appeal.region_id)
    )
    return {int(rid): int(n) for rid, n in session.execute(stmt) if rid is not None}


def event_instants(session: Session, event_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these timeline events happened (events that do not exist left out): a
    shared cache entry names the event its watermark stands at, and is trusted only when that
    event is still there, unchanged — a rebuilt database restarts the ids."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(TimelineEvent.id, TimelineEvent.at).where(
            TimelineEvent.id.in_(sorted(set(event_ids)))
        )
    )
    return {int(event_id): at for event_id, at in rows}


def stretches_changed_after(
    session: Session, event_id: int, stretches: Sequence[tuple[datetime, datetime]]
) -> list[bool]:
    """For each stretch ``[start, end)``: whether an appeal with a timeline event above
    ``event_id`` was received or closed in it — one statement, one flag per stretch. Every figure
    over the appeals received or closed in a stretch that no such appeal touches is unchanged
    since ``event_id``: the timeline records every change of an appeal (its place, units,
    category, status), an appeal's receipt instant never changes, and its closing instant is
    set once, when it is closed, and never moved or cleared (a reopen (重办) comes before
    closing)."""
    if not stretches:
        return []

    def touched(start: datetime, end: datetime) -> ColumnElement[int]:
        inside = ((Appeal.received_at >= start) & (Appeal.received_at < end)) | (
            (Appeal.closed_at >= start) & (Appeal.closed_at < end)
        )
        return func.max(case((inside, 1), else_=0))

    stmt = (
        select(*(touched(start, end) for start, end in stretches))
        .select_from(TimelineEvent)
        .join(Appeal, Appeal.id == TimelineEvent.appeal_id)
        .where(TimelineEvent.id > event_id)
    )
    row = session.execute(stmt).one()
    return [bool(flag) for flag in row]


def received_times_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> Sequence[datetime]:
    """Receipt instants of the appeals in scope received in ``[start, end)`` (for trends)."""
    return session.scalars(
        select(Appeal.received_at).where(scope_condition(actor), _received_in(start, end))
    ).all()


def closed_times_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> list[datetime]:
    """Closing instants of the appeals in scope closed in ``[start, end)`` (for trends)."""
    rows = session.scalars(
        select(Appeal.closed_at).where(scope_condition(actor), _closed_in(start, end))
    )
    return [at for at in rows if at is not None]


def category_counts_for(
    session: Session, actor: Actor, *, start: datetime, end: datetime
) -> dict[str, int]:
    """Appeals in scope received in ``[start, end)`` per catalogue code ("" = unclassified)."""
    stmt = (
        select(Appeal.category, func.count(Appeal.id))
        .where(scope_condition(actor), _received_in(start, end))
        .group_by(Appeal.category)
    )
    counts: dict[str, int] = {}
    for code, n in session.execute(stmt):
        counts[code or ""] = counts.get(code or "", 0) + int(n)
    return counts


def received_per_region_for(
    session: Session,
    actor: Actor,
    *,
    region_ids: Sequence[int],
    start: datetime,
    end: datetime,
) -> dict[int, int]:
    """Appeals in scope received in ``[start, end)`` per region (only ``region_ids``)."""
    if not region_ids:
        return {}
    stmt = (
        select(Appeal.region_id, func.count(Appeal.id))
        .where(
            scope_condition(actor),
            Appeal.region_id.in_(sorted(region_ids)),
            _received_in(start, end),
        )
        .group_by(Appeal.region_id)
    )
    return {int(rid): int(n) for rid, n in session.execute(stmt) if rid is not None}


@dataclass(frozen=True, slots=True)
class RegionOpen:
    """Open appeals of one region now, by the colour of their running deadline (an open
    appeal without a running deadline counts in ``open`` only)."""

    open: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0

    @property
    def warning(self) -> WarningLevel | None:
        """The worst colour among the region's open appeals (None when none shows one)."""
        if self.red:
            return WarningLevel.RED
        if self.yellow:
            return WarningLevel.YELLOW
        return WarningLevel.GREEN if self.green else None


def open_per_region_for(
    session: Session, actor: Actor, *, region_ids: Sequence[int], now: datetime
) -> dict[int, RegionOpen]:
    """Open appeals in scope per region of ``region_ids`` with their warning colours at
    ``now``, counted in SQL (one row per region; the colours from ``warning_condition``, the SQL
    form of ``warning_for``), so no appeal row is loaded however many are open."""
    if not region_ids:
        return {}

    def tally(level: WarningLevel) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((warning_condition(level, now), 1), else_=0)), 0)

    stmt = (
        select(
            Appeal.region_id,
            func.count(Appeal.id),
            tally(WarningLevel.RED),
            tally(WarningLevel.YELLOW),
            tally(WarningLevel.GREEN),
        )
        .where(
            scope_condition(actor),
            Appeal.region_id.in_(sorted(region_ids)),
            Appeal.status.in_(OPEN_STATUSES),
        )
        .group_by(Appeal.region_id)
    )
    return {
        int(rid): RegionOpen(int(n), int(red), int(yellow), int(green))
        for rid, n, red, yellow, green in session.execute(stmt)
        if rid is not None
    }


@dataclass(frozen=True, slots=True)
class RegionFigures:
    """One region's appeals received in a stretch and its open appeals now by colour."""

    received: int
    open: RegionOpen


def region_figures_for(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    received_in: tuple[datetime, datetime] | None = None,
) -> dict[int, RegionFigures]:
    """Per region (every region with any): the appeals in scope received in ``received_in``
    (``[start, end)``; none counted when None) and the open ones at ``now`` with their warning
    colours — the figures of :func:`received_by_region_for` and :func:`open_per_region_for`
    in one statement that applies the data scope once. No list of region ids goes into the
    statement (a city's 21,600 grids made a long IN list to plan and test on every row): the
    caller keeps the regions it draws."""
    is_open = Appeal.status.in_(OPEN_STATUSES)
    received = _received_in(*received_in) if received_in is not None else None

    def tally(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    wanted = is_open if received is None else or_(received, is_open)
    stmt = (
        select(
            Appeal.region_id,
            tally(received) if received is not None else literal(0),
            tally(is_open),
            tally(is_open & warning_condition(WarningLevel.RED, now)),
            tally(is_open & warning_condition(WarningLevel.YELLOW, now)),
            tally(is_open & warning_condition(WarningLevel.GREEN, now)),
        )
        .where(scope_condition(actor), Appeal.region_id.is_not(None), wanted)
        .group_by(Appeal.region_id)
    )
    return {
        int(rid): RegionFigures(int(n), RegionOpen(int(n_open), int(red), int(yellow), int(green)))
        for rid, n, n_open, red, yellow, green in session.execute(stmt)
        if rid is not None
    }


def open_in_regions_for(
    session: Session, actor: Actor, *, region_ids: Sequence[int], limit: int
) -> Sequence[Appeal]:
    """Open appeals in scope located in ``region_ids`` (at most ``limit``), for deriving the
    warning colour of each region on read."""
    if not region_ids:
        return []
    return session.scalars(
        select(Appeal)
        .where(
            scope_condition(actor),
            Appeal.region_id.in_(sorted(region_ids)),
            Appeal.status.in_(OPEN_STATUSES),
        )
        .order_by(Appeal.id)
        .limit(limit)
    ).all()
