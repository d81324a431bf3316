"""Read side of appeals, access: the one road to appeals (``by_id_for`` / ``list_for``), list
filters and deadline views derived on read.

Data scope (who sees which appeal) is decided here and nowhere else:

* a **street handler** sees appeals located in its street (region path prefix) and appeals
  dispatched to a street inside its scope;
* a **department handler** / **utility handler** sees appeals currently dispatched to its
  department / utility (lead or co-unit), and a department also those it was summoned to by a
  whistle (吹哨报到);
* a **grid worker** sees appeals located in its grids and the reports it made itself;
* **operators, dispatchers, supervisors, leaders and admins** see appeals located in their
  region scope or dispatched to a street inside it; a post at a top-level region (the city) also
  sees appeals without a location; a global scope sees everything;
* a **resident** sees the appeals they submitted.

Missing and out-of-scope appeals are both reported as NotFound, so existence is not leaked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    false,
    func,
    null,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from civicgrid.appeals.deadlines import (
    DEFAULT_THRESHOLDS,
    WarningLevel,
    WarningThresholds,
    warning_level,
)
from civicgrid.appeals.models import Appeal, AppealUnit, Whistle, WhistleSummons
from civicgrid.appeals.states import AppealStatus
from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import NotFound
from civicgrid.kit.search import LIKE_ESCAPE, contains_pattern
from civicgrid.territory.models import Region

CENTRE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.LEADER, Role.ADMIN})

# Which deadline runs in which status (DOMAIN §1.3): dispatch before a unit has the order,
# response until the caller is contacted, feedback while the unit handles it. A parked order's
# clock stands still (挂账), so it has no running deadline.
DISPATCH_CLOCK = frozenset({AppealStatus.RECEIVED, AppealStatus.PENDING_DISPATCH})
RESPONSE_CLOCK = frozenset(
    {AppealStatus.DISPATCHED, AppealStatus.SIGNED, AppealStatus.RETURN_REQUESTED}
)
FEEDBACK_CLOCK = frozenset(
    {
        AppealStatus.DISPATCHED,
        AppealStatus.SIGNED,
        AppealStatus.IN_PROGRESS,
        AppealStatus.RETURN_REQUESTED,
        AppealStatus.EXTENSION_REQUESTED,
        AppealStatus.TERMINATION_REQUESTED,
        AppealStatus.PARK_REQUESTED,
    }
)

MAX_WARNING_SCAN = 5000
# A text fragment of fewer characters has no trigram (pg_trgm), so no index can answer it.
TRIGRAM = 3
# A text search counts its matches up to this number (AppealPage.total_capped beyond): the
# exact count of a frequent word or phrase costs as much as reading every match.
TEXT_COUNT_CAP = 1000


def _not_found(appeal_id: int | str) -> NotFound:
    return NotFound(f"工单不存在或无权查看：{appeal_id} (no such appeal in your scope)")


class _Bytewise(FunctionElement[str]):
    """A text column compared byte by byte: ``COLLATE "C"`` on PostgreSQL, whatever the
    database's collation (the expression of the path indexes of migration perf_0001); the
    column itself on SQLite, which compares bytes."""

    type = String()
    inherit_cache = True


@compiles(_Bytewise, "postgresql")
def _bytewise_postgresql(element: _Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


@compiles(_Bytewise)
def _bytewise_default(element: _Bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


def path_range(prefix: str) -> tuple[str, str]:
    """The half-open byte range ``[low, high)`` of the strings that start with ``prefix``
    (non-empty): ``/1/2/8/`` → ``('/1/2/8/', '/1/2/80')``."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def path_under(
    column: ColumnElement[str] | InstrumentedAttribute[str], prefix: str
) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range a btree answers (a ``LIKE 'p%'`` could
    use no index: the path indexes are plain, the database's collation not "C")."""
    if not prefix:
        return true()
    low, high = path_range(prefix)
    path = _Bytewise(column)
    return and_(path >= low, path < high)


def _under_any(
    column: ColumnElement[str] | InstrumentedAttribute[str], paths: Sequence[str]
) -> ColumnElement[bool]:
    if not paths:
        return false()
    return or_(*[path_under(column, p) for p in paths])


# A post whose region is at most this deep (``/1/`` a city is 1, ``/1/2/`` a district 2) sees
# a large share of the appeals (a district held 21 % of the city-scale dataset): its scope is
# tested on each appeal's row, which costs little per row. Narrower scopes are asked as one
# set of appeal ids from the indexes (:func:`_combine`).
WIDE_DEPTH = 2


def _depth(path: str) -> int:
    return path.count("/") - 1


@dataclass(frozen=True, slots=True)
class _Part:
    """One part of a data scope: the ids of the appeals it admits (a SELECT of one column
    that an index answers) and, for a part on the appeal row itself, that row condition."""

    ids: Select[Any]
    row: ColumnElement[bool] | None = None

    def as_row_condition(self) -> ColumnElement[bool]:
        return self.row if self.row is not None else Appeal.id.in_(self.ids)


def _scope_appeal() -> Any:
    return Appeal.__table__.alias("scope_appeal")


def _appeal_part(condition: Callable[[Any], ColumnElement[bool]]) -> _Part:
    """A part on the appeal row: ``condition`` of the appeal columns (``Appeal.__table__.c``
    or an alias's)."""
    alias = _scope_appeal()
    ids = select(alias.c.id).where(condition(alias.c)).correlate(None)
    return _Part(ids, condition(Appeal.__table__.c))


def _column_is(key: str, value: object) -> _Part:
    """Appeals whose column ``key`` equals ``value`` (an indexed column)."""
    return _appeal_part(lambda c: c[key] == value)


def _unit_part(*conds: ColumnElement[bool]) -> _Part:
    """Appeals with an active unit matching ``conds``."""
    ids = (
        select(AppealUnit.appeal_id).where(AppealUnit.released_at.is_(None), *conds).correlate(None)
    )
    return _Part(ids)


def _summoned(department_ids: Sequence[int]) -> _Part:
    """Appeals on which one of these departments was summoned by a whistle (吹哨报到)."""
    ids = (
        select(Whistle.appeal_id)
        .join(WhistleSummons, WhistleSummons.whistle_id == Whistle.id)
        .where(WhistleSummons.department_id.in_(department_ids))
        .correlate(None)
    )
    return _Part(ids)


def _region_parts(paths: Sequence[str]) -> list[_Part]:
    """Appeals located in these regions, and those whose active region unit (a street the
    order is dispatched to) lies in them."""
    if not paths:
        return []
    return [
        _appeal_part(lambda c: _under_any(c.region_path, paths)),
        _unit_part(AppealUnit.unit_kind == "region", _under_any(AppealUnit.unit_path, paths)),
    ]


def _active_unit(*conds: ColumnElement[bool]) -> ColumnElement[bool]:
    return (
        select(AppealUnit.id)
        .where(AppealUnit.appeal_id == Appeal.id, AppealUnit.released_at.is_(None), *conds)
        .exists()
    )


def scope_condition(actor: Actor, *, rowwise: bool = False) -> ColumnElement[bool]:
    """The WHERE condition selecting the appeals ``actor`` may see (see the module docstring).

    Built once per actor value and process (actors are immutable: roles and scope come from
    the posts when the request authenticates, so a changed post gives another actor).
    :func:`visible_condition` is the same set, and nothing at all for a city-wide scope."""
    return _scope_condition(actor, rowwise)


def visible_condition(
    session: Session, actor: Actor, *, rowwise: bool = False
) -> ColumnElement[bool]:
    """:func:`scope_condition`, or TRUE when the actor sees every appeal anyway: a centre
    role (operator, dispatcher, supervisor, leader, admin) whose posts cover every top-level
    region (city) sees every located appeal and the unlocated ones, so the filter would only
    cost a test per row (and a set of every dispatched street unit). The cities are read on
    each call (one small query, only for a post at a city): a city added later is never
    missed."""
    if _sees_everything(session, actor):
        return true()
    return scope_condition(actor, rowwise=rowwise)


def _sees_everything(session: Session, actor: Actor) -> bool:
    scope = actor.scope
    if scope.is_global:
        return any(r is not Role.RESIDENT for r in actor.roles)
    if not any(r in CENTRE_ROLES for r in actor.roles):
        return False
    if not any(_depth(p) == 1 for p in scope.region_paths):
        return False
    roots = session.scalars(select(Region.path).where(Region.parent_id.is_(None))).all()
    return bool(roots) and all(scope.covers_path(root) for root in roots)


@lru_cache(maxsize=1024)
def _scope_condition(actor: Actor, rowwise: bool = False) -> ColumnElement[bool]:
    scope = actor.scope
    paths = scope.minimal_paths()
    parts: list[_Part] = []
    for role in actor.roles:
        if role is Role.RESIDENT:
            if actor.user_id is not None:
                parts.append(_column_is("resident_user_id", actor.user_id))
            continue
        if scope.is_global:
            return true()
        if role is Role.STREET_HANDLER:
            parts.extend(_region_parts(paths))
        elif role is Role.DEPARTMENT_HANDLER and scope.department_ids:
            departments = sorted(scope.department_ids)
            parts.append(
                _unit_part(
                    AppealUnit.unit_kind == "department", AppealUnit.unit_id.in_(departments)
                )
            )
            parts.append(_summoned(departments))
        elif role is Role.UTILITY_HANDLER and scope.utility_ids:
            parts.append(
                _unit_part(
                    AppealUnit.unit_kind == "utility",
                    AppealUnit.unit_id.in_(sorted(scope.utility_ids)),
                )
            )
        elif role is Role.GRID_WORKER:
            if paths:
                parts.append(_appeal_part(lambda c: _under_any(c.region_path, paths)))
            if actor.user_id is not None:
                parts.append(_column_is("created_by_user_id", actor.user_id))
        elif role in CENTRE_ROLES:
            parts.extend(_region_parts(paths))
            if any(_depth(p) == 1 for p in paths):  # a top-level region such as "/1/"
                parts.append(_column_is("region_path", ""))
    return _combine(parts, wide=rowwise or any(_depth(p) <= WIDE_DEPTH for p in paths))


def _combine(parts: Sequence[_Part], *, wide: bool) -> ColumnElement[bool]:
    """The parts as one condition.

    * Parts all on the appeal row (a grid worker's grids and reports, a resident's appeals):
      their OR, which PostgreSQL answers by a bitmap OR of the path and user indexes.
    * A wide scope (a city or district: a fifth of the appeals or more): each row is tested
      (a part on another table is a hashed set read once, and only when a row needs it).
    * Otherwise (a street, a department, a utility) one set of ids, the UNION of the parts,
      each read from an index alone: the database estimates how few appeals the scope holds
      and starts from them, instead of walking every appeal newest first, which it does for
      an OR with subqueries it cannot estimate (measured on 1,000,000 appeals, see
      docs/benchmarks.md "Appeal data scope")."""
    if not parts:
        return false()
    if wide or all(p.row is not None for p in parts):
        return or_(*[p.as_row_condition() for p in parts])
    if len(parts) == 1:
        return Appeal.id.in_(parts[0].ids)
    return Appeal.id.in_(union(*[p.ids for p in parts]))


def by_id_for(session: Session, actor: Actor, appeal_id: int) -> Appeal:
    """The appeal ``appeal_id`` if ``actor`` may see it; NotFound for missing and out of scope."""
    appeal = session.scalar(
        select(Appeal).where(Appeal.id == appeal_id, visible_condition(session, actor))
    )
    if appeal is None:
        if session.scalar(select(Appeal.id).where(Appeal.id == appeal_id)) is not None:
            audit.note_refusal(
                session,
                actor=actor,
                subject_type="appeal",
                subject_id=appeal_id,
                reason="out_of_scope",
            )
        raise _not_found(appeal_id)
    return appeal


def by_number_for(session: Session, actor: Actor, number: str) -> Appeal:
    """The appeal with this number if ``actor`` may see it; NotFound otherwise."""
    appeal = session.scalar(
        select(Appeal).where(Appeal.number == number.strip(), visible_condition(session, actor))
    )
    if appeal is None:
        existing = session.scalar(select(Appeal.id).where(Appeal.number == number.strip()))
        if existing is not None:
            audit.note_refusal(
                session,
                actor=actor,
                subject_type="appeal",
                subject_id=existing,
                reason="out_of_scope",
                detail={"number": number.strip()},
            )
        raise _not_found(number)
    return appeal


@dataclass(frozen=True, slots=True)
class Deadline:
    """The deadline running now for an appeal: which one, from when, until when."""

    kind: str
    start: datetime
    due: datetime


class DeadlineFields(Protocol):
    """The columns that decide an appeal's running deadline: an :class:`Appeal` or a row of
    those columns (the deadline sweep reads rows, not whole appeals)."""

    @property
    def status(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def dispatched_at(self) -> datetime | None: ...
    @property
    def dispatch_due_at(self) -> datetime | None: ...
    @property
    def response_due_at(self) -> datetime | None: ...
    @property
    def finish_due_at(self) -> datetime | None: ...


def running_deadline(appeal: DeadlineFields) -> Deadline | None:
    """The deadline that runs in the appeal's status (feedback wins over response once both
    run, since it is the one a reply must meet); None when no clock runs."""
    status = AppealStatus(appeal.status)
    if status in DISPATCH_CLOCK and appeal.dispatch_due_at is not None:
        return Deadline("dispatch", appeal.received_at, appeal.dispatch_due_at)
    start = appeal.dispatched_at
    if start is None:
        return None
    if status in RESPONSE_CLOCK and appeal.response_due_at is not None:
        return Deadline("response", start, appeal.response_due_at)
    if status in FEEDBACK_CLOCK and appeal.finish_due_at is not None:
        return Deadline("feedback", start, appeal.finish_due_at)
    return None


def warning_for(appeal: DeadlineFields, now: datetime) -> WarningLevel | None:
    """红黄绿 of the running deadline at ``now``; None when no clock runs."""
    deadline = running_deadline(appeal)
    if deadline is None or deadline.due <= deadline.start:
        return None
    return warning_level(deadline.start, deadline.due, now)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Appeals whose running deadline passed before ``now`` (SQL form of :func:`warning_for`
    being red)."""
    return or_(
        and_(Appeal.status.in_(sorted(DISPATCH_CLOCK)), Appeal.dispatch_due_at < now),
        and_(Appeal.status.in_(sorted(RESPONSE_CLOCK)), Appeal.response_due_at < now),
        and_(Appeal.status.in_(sorted(FEEDBACK_CLOCK)), Appeal.finish_due_at < now),
    )


class _EpochSeconds(FunctionElement[float]):
    """Seconds since 1970 of a UTC timestamp column, on PostgreSQL and SQLite."""

    type = Float()
    inherit_cache = True


@compiles(_EpochSeconds, "postgresql")
def _epoch_postgresql(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(_EpochSeconds)
def _epoch_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC timestamps as naive text; julianday counts days from 4714 BC.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def _running_deadline_sql() -> tuple[ColumnElement[datetime], ColumnElement[datetime]]:
    """(start, due) of the running deadline, the SQL form of :func:`running_deadline` (NULL
    when no clock runs)."""
    dispatch = and_(Appeal.status.in_(sorted(DISPATCH_CLOCK)), Appeal.dispatch_due_at.is_not(None))
    response = and_(Appeal.status.in_(sorted(RESPONSE_CLOCK)), Appeal.response_due_at.is_not(None))
    feedback = and_(Appeal.status.in_(sorted(FEEDBACK_CLOCK)), Appeal.finish_due_at.is_not(None))
    unstarted = Appeal.dispatched_at.is_(None)
    start = case(
        (dispatch, Appeal.received_at),
        (unstarted, null()),
        (response, Appeal.dispatched_at),
        (feedback, Appeal.dispatched_at),
        else_=null(),
    )
    due = case(
        (dispatch, Appeal.dispatch_due_at),
        (unstarted, null()),
        (response, Appeal.response_due_at),
        (feedback, Appeal.finish_due_at),
        else_=null(),
    )
    return start, due


def warning_condition(
    level: WarningLevel, now: datetime, thresholds: WarningThresholds = DEFAULT_THRESHOLDS
) -> ColumnElement[bool]:
    """Appeals whose running deadline shows ``level`` at ``now``: the SQL form of
    :func:`warning_for` (red once overdue or from ``thresholds.red`` of the allowed time,
    yellow from ``thresholds.yellow``, green before), so that a warning filter is one indexed
    query instead of a scan of the newest appeals in Python."""
    start, due = _running_deadline_sql()
    running = and_(start.is_not(None), due.is_not(None), due > start)
    elapsed = now.timestamp() - _EpochSeconds(start)
    allowed = _EpochSeconds(due) - _EpochSeconds(start)
    red = or_(due < now, elapsed >= allowed * thresholds.red) if thresholds.red else due < now
    yellow = elapsed >= allowed * thresholds.yellow
    if level is WarningLevel.RED:
        return and_(running, red)
    if level is WarningLevel.YELLOW:
        return and_(running, ~red, yellow)
    return and_(running, ~red, ~yellow)


def text_condition(text: str) -> ColumnElement[bool]:
    """Appeals whose title, content or address contains ``text`` (case-insensitive, ``%`` and
    ``_`` literal), or whose number is ``text`` exactly (the list's ``?q=``).

    On PostgreSQL each ``lower(column) LIKE '%…%'`` is answered by the trigram index of
    migration ``search_0002`` on exactly that expression (``ix_appeal_<column>_trgm``) and the
    number by its unique index, so the OR becomes a bitmap OR of index scans; keep the
    expressions and the indexes the same. A fragment of fewer than :data:`TRIGRAM` characters
    has no trigram, so it is a scan anyway; when it has no letter with a case (Chinese, digits)
    it is matched without ``lower()``, which finds the same rows and scans three times faster.
    SQLite always scans."""
    typed = text.strip()
    needle = contains_pattern(typed.lower())
    if len(typed) < TRIGRAM and all(c.lower() == c == c.upper() for c in typed):
        return or_(
            Appeal.title.like(needle, escape=LIKE_ESCAPE),
            Appeal.content.like(needle, escape=LIKE_ESCAPE),
            Appeal.number == typed,
            Appeal.address.like(needle, escape=LIKE_ESCAPE),
        )
    return or_(
        func.lower(Appeal.title).like(needle, escape=LIKE_ESCAPE),
        func.lower(Appeal.content).like(needle, escape=LIKE_ESCAPE),
        Appeal.number == typed,
        func.lower(Appeal.address).like(needle, escape=LIKE_ESCAPE),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AppealFilters:
    """Filters of the appeal list; every field is optional."""

    statuses: Sequence[str] = ()
    unit_kind: str | None = None
    unit_id: int | None = None
    overdue: bool | None = None
    warning: WarningLevel | None = None
    channel: str | None = None
    appeal_type: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None
    unreasonable_pending: bool | None = None  # a unit's 不合理诉求 application awaits review
    offset: int = 0
    limit: int = 50
    # False: count the matches up to TEXT_COUNT_CAP only (AppealPage.total_capped beyond), as
    # a text search always does: the exact number of a city's closed orders reads them all.
    exact_total: bool = True


@dataclass(frozen=True, slots=True)
class AppealPage:
    """One page of appeals and the number of all matches (at least ``total`` matches when
    ``total_capped``: a text search's count stops at :data:`TEXT_COUNT_CAP`)."""

    items: list[Appeal]
    total: int
    total_capped: bool = False


def list_for(
    session: Session, actor: Actor, filters: AppealFilters, *, now: datetime
) -> AppealPage:
    """Appeals ``actor`` may see matching ``filters``, newest first.

    The warning colour is derived from the stored deadlines in SQL
    (:func:`warning_condition`)."""
    everything = _sees_everything(session, actor)
    scope = true() if everything else scope_condition(actor)
    conds: list[ColumnElement[bool]] = []
    if filters.statuses:
        conds.append(Appeal.status.in_(list(filters.statuses)))
    if filters.unit_kind is not None and filters.unit_id is not None:
        conds.append(
            _active_unit(
                AppealUnit.unit_kind == filters.unit_kind, AppealUnit.unit_id == filters.unit_id
            )
        )
    if filters.overdue is True:
        conds.append(overdue_condition(now))
    elif filters.overdue is False:
        conds.append(~overdue_condition(now))
    if filters.unreasonable_pending is True:
        conds.append(Appeal.unreasonable_applied_at.is_not(None))
    elif filters.unreasonable_pending is False:
        conds.append(Appeal.unreasonable_applied_at.is_(None))
    if filters.channel:
        conds.append(Appeal.channel == filters.channel)
    if filters.appeal_type:
        conds.append(Appeal.appeal_type == filters.appeal_type)
    if filters.received_from is not None:
        conds.append(Appeal.received_at >= filters.received_from)
    if filters.received_to is not None:
        conds.append(Appeal.received_at < filters.received_to)
    if filters.text and filters.text.strip():
        conds.append(text_condition(filters.text))
    if filters.warning is not None:
        conds.append(warning_condition(filters.warning, now))
    if (filters.text and filters.text.strip()) or not filters.exact_total:
        rowwise = true() if everything else scope_condition(actor, rowwise=True)
        return _capped_page(session, (scope, rowwise), conds, filters)
    conds.append(scope)
    stmt = select(Appeal).where(*conds).order_by(Appeal.received_at.desc(), Appeal.id.desc())
    total = session.scalar(select(func.count()).select_from(Appeal).where(*conds)) or 0
    items = session.scalars(stmt.offset(filters.offset).limit(filters.limit)).all()
    return AppealPage(list(items), int(total))


def _capped_page(
    session: Session,
    scopes: tuple[ColumnElement[bool], ColumnElement[bool]],
    filters_sql: Sequence[ColumnElement[bool]],
    filters: AppealFilters,
) -> AppealPage:
    """A page of a text search (or of a list without ``exact_total``) and the number of
    matches up to :data:`TEXT_COUNT_CAP`.

    The count comes first and stops at the cap (``LIMIT``): from the trigram indexes for a
    fragment of three characters or more, scanning for a shorter one, where a frequent word
    stops after a few thousand rows. Then the page, in the shape that suits what the count
    found:

    * **more than the cap** (a frequent word or phrase, a city's closed orders): newest
      first, which fills a page after reading a few rows since the matches are everywhere —
      with the scope as row conditions (``scopes[1]``), since its set of ids would make
      PostgreSQL fetch and sort every appeal of a street for the page of 50;
    * **at most the cap**: the matches themselves sorted, with ``count(*) OVER ()`` so that
      PostgreSQL must collect them (from the indexes) rather than walk ``received_at``
      backwards filtering every appeal until it has a page — for a rare fragment that walk is
      a scan of the whole table, and the planner cannot tell rare from frequent from its
      estimates.

    ``scopes`` is the data scope in its usual form and as row conditions."""
    conds = [*filters_sql, scopes[0]]
    bounded = select(Appeal.id).where(*conds).limit(TEXT_COUNT_CAP + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(bounded)) or 0)
    if total > TEXT_COUNT_CAP:
        stmt = (
            select(Appeal)
            .where(*filters_sql, scopes[1])
            .order_by(Appeal.received_at.desc(), Appeal.id.desc())
        )
        items = session.scalars(stmt.offset(filters.offset).limit(filters.limit)).all()
        return AppealPage(list(items), TEXT_COUNT_CAP, total_capped=True)
    if total == 0 or filters.offset >= total:
        return AppealPage([], total)
    matches = (
        select(Appeal.id, Appeal.received_at, func.count().over().label("total"))
        .where(*conds)
        .order_by(Appeal.received_at.desc(), Appeal.id.desc())
        .offset(filters.offset)
        .limit(filters.limit)
        .subquery("text_matches")
    )
    # The window count is selected (not only computed) so that the planner cannot drop it.
    rows = session.execute(
        select(Appeal, matches.c.total)
        .join(matches, matches.c.id == Appeal.id)
        .order_by(matches.c.received_at.desc(), matches.c.id.desc())
    ).all()
    return AppealPage([appeal for appeal, _ in rows], total)
