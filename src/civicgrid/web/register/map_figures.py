"""The figures of the community map (民情图) per region of the whole territory, each summed over
the grids under it, shared by every viewer and every level of the map (each view reads its own
region's parts):

- register counts (buildings, houses, vacant houses, residents, tag counts) per grid, in a
  per-app :class:`RegisterCountCache` checked on every read against the audit log, where every
  register writer (create, edit, move, tag, import) records a ``register.*`` row;
- appeals received over the last 365 Beijing days: the past calendar months and this month's
  earlier days through the app's :class:`~civicgrid.web.shared.figure_cache.FigureCache`
  (checked against the appeals' timeline), those to count in one statement grouped by region
  and stretch; today's counted now under the viewed region;
- open appeals, always counted now under the viewed region.

Why the register cache stays correct: an entry remembers the audit id ``S`` below which every
transaction had settled when it was counted (rows written more than :data:`COMMIT_LAG` earlier, as
the figure cache assumes for the timeline) and the ``register.*`` ids above ``S`` it saw then. It is
read before the counts, so a write committed in between only makes the entry recount once more. On
each read the ids above ``S`` are listed again (a short range of the primary key): the same list
means no register write committed since, so the counts stand (and ``S`` moves up to the
settled id of the moment, so the range stays short); any other list recounts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import map_figures as appeal_map
from civicgrid.audit import queries as audit_queries
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.kit.periods import day_range, local_date, local_day_start
from civicgrid.register import queries as register_queries
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import path_ids
from civicgrid.web.shared.figure_cache import FigureCache, stretches
from civicgrid.web.shared.figure_store import StretchFigures

COMMIT_LAG = timedelta(minutes=5)
Stretch = tuple[datetime, datetime]
YEAR_KEY = "community-map received per grid"  # the figure cache's key: one territory-wide entry


@dataclass(slots=True)
class RegionRegister:
    """Register counts of one region: the sums over the grids under it (or of the grid)."""

    buildings: int = 0
    houses: int = 0
    vacant_houses: int = 0
    residents: int = 0
    tags: Counter[str] = field(default_factory=Counter)

    def add(self, grid: register_queries.GridRegisterSummary) -> None:
        self.buildings += grid.buildings
        self.houses += grid.houses
        self.vacant_houses += grid.vacant_houses
        self.residents += grid.residents
        self.tags.update(grid.tags)


@dataclass(frozen=True, slots=True)
class RegisterCounts:
    """Register counts of every grid and of every region above one (summed once per count),
    keyed by region id; tag counts with or without the sensitive tags."""

    per_region: dict[int, RegionRegister]


def roll_up(per_grid: dict[int, int], paths: dict[int, str]) -> dict[int, int]:
    """Counts per region id summed into every region on the region's path (itself included);
    regions without a known path are left out."""
    total: Counter[int] = Counter()
    for region_id, n in per_grid.items():
        path = paths.get(region_id)
        if path is not None:
            for rid in path_ids(path):
                total[rid] += n
    return dict(total)


@dataclass(slots=True)
class _Entry:
    counts: RegisterCounts
    settled: int
    seen: tuple[int, ...]


@dataclass(slots=True)
class RegisterCacheStats:
    """Served from the cache, recounted after a register write, counted the first time."""

    hits: int = 0
    stale: int = 0
    misses: int = 0


@dataclass
class RegisterCountCache:
    """Territory-wide register counts per grid, one entry with and one without the sensitive
    tags, checked against the audit log on every read. Thread-safe."""

    stats: RegisterCacheStats = field(default_factory=RegisterCacheStats)
    _entries: dict[bool, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(
        self,
        session: Session,
        *,
        sensitive: bool,
        now: datetime,
        count: Callable[[bool], RegisterCounts],
    ) -> RegisterCounts:
        """The counts for ``sensitive``: cached while no register write committed since they
        were counted, otherwise counted by ``count(sensitive)`` and stored."""
        with self._lock:
            entry = self._entries.get(sensitive)
        if entry is not None:
            if audit_queries.register_writes_after(session, entry.settled) == entry.seen:
                self.stats.hits += 1
                # Move the settled mark up, so that the next check reads a short range again.
                settled = audit_queries.last_id_at_or_before(
                    session, now - COMMIT_LAG, after=entry.settled
                )
                with self._lock:
                    entry.seen = tuple(i for i in entry.seen if i > settled)
                    entry.settled = settled
                return entry.counts
            self.stats.stale += 1
        else:
            self.stats.misses += 1
        settled = audit_queries.last_id_at_or_before(
            session, now - COMMIT_LAG, after=entry.settled if entry else 0
        )
        seen = audit_queries.register_writes_after(session, settled)
        counts = count(sensitive)
        with self._lock:
            self._entries[sensitive] = _Entry(counts, settled, seen)
        return counts


@dataclass
class PastSum:
    """The past months' appeals summed and rolled up into every region above their regions,
    kept while the figure cache answers with the same month objects (a recounted month is a new
    object, so the sum is made again)."""

    _parts: list[StretchFigures] = field(default_factory=list)
    _total: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def total(self, session: Session, parts: list[StretchFigures]) -> dict[int, int]:
        with self._lock:
            if len(parts) == len(self._parts) and all(
                a is b for a, b in zip(parts, self._parts, strict=True)
            ):
                return self._total
        total = rolled_up(session, parts)
        with self._lock:
            self._parts, self._total = list(parts), total
        return total


def rolled_up(session: Session, parts: list[StretchFigures]) -> dict[int, int]:
    """The months' counts per region summed, and rolled up into every region above."""
    summed: Counter[int] = Counter()
    for part in parts:
        summed.update(part.per_region)
    paths = territory_queries.grid_paths(session)
    others = [rid for rid in summed if rid not in paths]
    paths.update(territory_queries.region_paths(session, others))
    return roll_up(dict(summed), paths)


@dataclass
class MapCache:
    """The community map's own per-app caches."""

    register: RegisterCountCache = field(default_factory=RegisterCountCache)
    past: PastSum = field(default_factory=PastSum)


def map_cache(request: Request) -> MapCache:
    """The app's community map cache (one per app, made on first use)."""
    state = request.app.state
    cache: MapCache | None = getattr(state, "community_map_cache", None)
    if cache is None:
        cache = state.community_map_cache = MapCache()
    return cache


def count_register(session: Session, sensitive: bool) -> RegisterCounts:
    """Register counts of every grid, with the sensitive tags' counts only when asked: read as a
    territory-wide actor of a role that may (admin) or may not (leader) reveal personal data."""
    actor = Actor.system("community-map")
    if not sensitive:
        actor = replace(actor, roles=frozenset({Role.LEADER}))
    grids = register_queries.grid_summaries_for(session, actor)
    paths = territory_queries.grid_paths(session)
    per_region: dict[int, RegionRegister] = {}
    for grid_id, summary in grids.items():
        for rid in path_ids(paths.get(grid_id, "")):
            per_region.setdefault(rid, RegionRegister()).add(summary)
    return RegisterCounts(per_region)


def register_counts(
    session: Session, *, sensitive: bool, now: datetime, cache: RegisterCountCache | None = None
) -> RegisterCounts:
    """Register counts per grid of the whole territory (through ``cache`` when given)."""
    if cache is None:
        return count_register(session, sensitive)
    return cache.counts(
        session, sensitive=sensitive, now=now, count=lambda s: count_register(session, s)
    )


def year_stretches(now: datetime) -> tuple[list[Stretch], Stretch]:
    """The 365 Beijing days ending today cut into the past calendar months, then each earlier
    day of this month (both worth caching: an appeal changed since only recounts the stretches
    from its receipt on), and today, counted live."""
    today = local_date(now)
    past, live = stretches(day_range(today - timedelta(days=364), today), today)
    first = today.replace(day=1)
    days = [
        (local_day_start(first + timedelta(days=i)), local_day_start(first + timedelta(days=i + 1)))
        for i in range((today - first).days)
    ]
    end = live[1] if live is not None else local_day_start(today + timedelta(days=1))
    return past + days, (local_day_start(today), end)


def received_last_year(
    session: Session, now: datetime, cache: FigureCache | None = None
) -> dict[int, int]:
    """Appeals received per region over the 365 Beijing days ending today, each counted in its
    region and in every region above (the past stretches through ``cache`` when given)."""
    past, _today = received_past_and_live(session, now, cache)
    _past, today = year_stretches(now)
    total = Counter(past)
    by_region = appeal_map.received_per_region_in(session, "", [today])[0]
    total.update(rolled_up(session, [StretchFigures(per_region=by_region)]))
    return dict(total)


def received_past_and_live(
    session: Session,
    now: datetime,
    cache: FigureCache | None = None,
    *,
    parts: Sequence[tuple[int, str]] = (),
    under: Sequence[str] = (),
    past_sum: PastSum | None = None,
) -> tuple[dict[int, int], dict[int, int]]:
    """Appeals received over the 365 Beijing days ending today: before today per region, each
    appeal counted in its region and in every region above, and today's under each of
    ``parts`` (id, materialised path; regions that do not overlap, all of them under one of the
    paths ``under``), by part id (add them up; do not change them). The stretches before today
    (:func:`year_stretches`) come through ``cache`` when given — for the whole territory, shared
    by every view; those it lacks or must recount in one statement grouped by region and
    stretch; their rolled-up sum kept in ``past_sum`` while they are unchanged — otherwise they
    are counted for the whole territory."""
    past, today = year_stretches(now)
    counted: dict[Stretch, dict[int, int]] = {}

    def count(start: datetime, end: datetime) -> StretchFigures:
        # The cache asks for the stretches it lacks one by one, oldest first; the ones it lacks
        # are this one and every later one (a change recounts every stretch after it), so the
        # first request counts them all at once.
        if (start, end) not in counted:
            rest = [s for s in past if s[0] >= start]
            counted.update(
                zip(rest, appeal_map.received_per_region_in(session, "", rest), strict=True)
            )
        return StretchFigures(per_region=counted[(start, end)])

    if cache is not None:
        before = cache.stretches(session, YEAR_KEY, past, now=now, count=count)
        past_total = (past_sum or PastSum()).total(session, before)
    else:
        counts = appeal_map.received_per_region_in(session, "", past)
        past_total = rolled_up(session, [StretchFigures(per_region=c) for c in counts])
    today_counts = (
        per_part(appeal_map.received_per_path_in(session, under, today), parts) if parts else {}
    )
    return past_total, today_counts


def per_part(per_path: dict[str, int], parts: Sequence[tuple[int, str]]) -> dict[int, int]:
    """Counts per materialised path summed into the part (id, path) whose path starts theirs;
    the parts are regions that do not overlap (paths of other regions are left out)."""
    by_depth: dict[int, dict[str, int]] = {}
    for pid, path in parts:
        by_depth.setdefault(path.count("/"), {})[path] = pid
    total: Counter[int] = Counter()
    for path, n in per_path.items():
        pieces = path.split("/")
        for depth, known in by_depth.items():
            found = known.get("/".join(pieces[:depth]) + "/") if len(pieces) > depth else None
            if found is not None:
                total[found] += n
                break
    return dict(total)


def open_per_part(
    session: Session, parts: Sequence[tuple[int, str]], under: Sequence[str]
) -> dict[int, int]:
    """Open appeals under each of ``parts`` (all under one of the paths ``under``), by part
    id: counted now, never cached."""
    return per_part(appeal_map.open_per_path(session, under), parts)
