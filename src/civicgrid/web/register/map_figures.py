"""The figures of the community map (民情图) per grid of the whole territory, shared by every
viewer and every level of the map (each view keeps the grids of its own region):

- register counts (buildings, houses, vacant houses, residents, tag counts) per grid, in a
  per-app :class:`RegisterCountCache` checked on every read against the audit log, where every
  register writer (create, edit, move, tag, import) records a ``register.*`` row;
- appeals received per grid over the last 365 Beijing days: the past stretches through the app's
  :class:`~civicgrid.web.shared.figure_cache.FigureCache` (checked against the appeals' timeline),
  the ones to count in one statement grouped by grid and stretch, this month's counted now;
- open appeals per grid, always counted now.

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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import map_figures as appeal_map
from civicgrid.audit import queries as audit_queries
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.kit.periods import day_range, local_date
from civicgrid.register import queries as register_queries
from civicgrid.web.shared.figure_cache import FigureCache, StretchFigures, stretches

COMMIT_LAG = timedelta(minutes=5)
YEAR_KEY = "community-map received per grid"  # the figure cache's key: one territory-wide entry


@dataclass(frozen=True, slots=True)
class RegisterCounts:
    """Register counts per grid id, tag counts with or without the sensitive tags."""

    per_grid: dict[int, register_queries.GridRegisterSummary]


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


def register_cache(request: Request) -> RegisterCountCache:
    """The app's register count cache (one per app, made on first use)."""
    state = request.app.state
    cache: RegisterCountCache | None = getattr(state, "community_map_register_cache", None)
    if cache is None:
        cache = state.community_map_register_cache = RegisterCountCache()
    return cache


def count_register(session: Session, sensitive: bool) -> RegisterCounts:
    """Register counts of every grid, with the sensitive tags' counts only when asked: read as a
    territory-wide actor of a role that may (admin) or may not (leader) reveal personal data."""
    actor = Actor.system("community-map")
    if not sensitive:
        actor = replace(actor, roles=frozenset({Role.LEADER}))
    return RegisterCounts(register_queries.grid_summaries_for(session, actor))


def register_counts(
    session: Session, *, sensitive: bool, now: datetime, cache: RegisterCountCache | None = None
) -> RegisterCounts:
    """Register counts per grid of the whole territory (through ``cache`` when given)."""
    if cache is None:
        return count_register(session, sensitive)
    return cache.counts(
        session, sensitive=sensitive, now=now, count=lambda s: count_register(session, s)
    )


def received_last_year(
    session: Session, now: datetime, cache: FigureCache | None = None, *, path: str = ""
) -> dict[int, int]:
    """Appeals received per region under ``path`` ('' for the whole territory) over the 365
    Beijing days ending today: the past calendar months through ``cache`` when given, those the
    cache lacks (or must recount) in one statement grouped by region and month, this month's
    appeals counted now."""
    today = local_date(now)
    past, live = stretches(day_range(today - timedelta(days=364), today), today)
    counted: dict[tuple[datetime, datetime], dict[int, int]] = {}

    def count(start: datetime, end: datetime) -> StretchFigures:
        # The cache asks for the months it lacks one by one, oldest first; the ones it lacks
        # are this month and every later one (a change recounts every month after it), so the
        # first request counts them all at once.
        if (start, end) not in counted:
            rest = [s for s in past if s[0] >= start]
            counted.update(
                zip(rest, appeal_map.received_per_region_in(session, path, rest), strict=True)
            )
        return StretchFigures(per_region=counted[(start, end)])

    if cache is not None and not path:
        parts = [
            p.per_region for p in cache.stretches(session, YEAR_KEY, past, now=now, count=count)
        ]
    else:
        parts = appeal_map.received_per_region_in(session, path, past)
    if live is not None:
        parts += appeal_map.received_per_region_in(session, path, [live])
    total: Counter[int] = Counter()
    for part in parts:
        total.update(part)
    return dict(total)
