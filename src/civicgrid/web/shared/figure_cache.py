"""A bounded in-process cache of the dashboard's figures over past days, kept correct by the
appeals' timeline.

What is cached: for one data scope and one stretch of past Beijing days (a closed calendar
month, or the part of one that a period covers), the appeals received and closed per day, received
per catalogue code and received per region — the figures a year-long dashboard would otherwise
recount from every appeal of the year on every view. The current month's figures, the open and
overdue counts, the grid colours and every workbench count are never cached.

Why it stays correct: every change of an appeal appends a timeline event (the timeline is
append-only and records every change; the assessment rollup relies on the same rule). A stretch
``[start, end)`` counts appeals received in it or closed in it; an appeal's receipt instant never
changes and its closing instant is set once, so a change can alter the stretch only if the
changed appeal was received or closed in it. Each entry keeps a watermark ``W``: every event up
to ``W`` was committed and visible when the figures were counted. On read, one statement tells
for each cached stretch whether an appeal with an event above ``W`` was received or closed in it
(:func:`appeal_figures.stretches_changed_after`); if so the entry is recounted, otherwise it is
served and its watermark moves up to the settled event id read just before the check (work on
an appeal received in October recounts October only, not every later month). Event ids are
handed out at insert, not at commit, so — as the rollup does — only events older than
:data:`COMMIT_LAG` count as settled; newer ones are checked again on the next read.

Pages: the leader's dashboard (its trend, categories and grid loads over any period) and the
community map (appeals per grid over the last 365 days), keyed by the figure and the data scope
(:func:`scope_key`, the text of the scope's SQL condition), so people with the same scope share
entries.

Bounds: at most ``max_cells`` stored counts in all (a year of a city's 21,600 grids is the
largest entry), least recently used first out. One cache per app (``app.state``), so several
app processes each keep their own; all of them answer from the same database's events.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import groupby

from fastapi import Request
from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.queries import figures as appeal_figures
from civicgrid.appeals.queries import unscoped_facts
from civicgrid.auth.actor import Actor
from civicgrid.kit.periods import Period, local_day_start
from civicgrid.web.shared.figure_store import (
    RedisFigureStore,
    SharedEntry,
    SharedFigureStore,
    StretchFigures,
)

COMMIT_LAG = timedelta(minutes=5)
MAX_CELLS = 500_000

Key = tuple[str, datetime, datetime]
Stretch = tuple[datetime, datetime]


def stretches(period: Period, today: date) -> tuple[list[Stretch], Stretch | None]:
    """``period`` cut into UTC stretches: one per calendar month before the month of ``today``
    (closed months, worth caching: their appeals change rarely), and the rest — this month and
    any later day — as one live stretch (None when the period ended before this month)."""
    this_month = today.replace(day=1)
    past_days = [d for d in period.each_day() if d < this_month]
    past = [
        (local_day_start(days[0]), local_day_start(days[-1] + timedelta(days=1)))
        for days in (list(g) for _m, g in groupby(past_days, key=lambda d: (d.year, d.month)))
    ]
    if period.last < this_month:
        return past, None
    return past, (local_day_start(max(period.first, this_month)), period.end_utc)


@lru_cache(maxsize=1024)
def scope_key(actor: Actor) -> str:
    """The actor's data scope as the text of its SQL condition: two actors with the same key
    see exactly the same appeals, so they may share cached figures."""
    condition = appeal_queries.scope_condition(actor)
    return str(condition.compile(compile_kwargs={"literal_binds": True}))


def figure_cache(request: Request) -> FigureCache:
    """The app's cache of closed months' figures (one per app, made on first use), with the
    figures shared through Redis as its second level when ``CIVICGRID_REDIS_URL`` is set."""
    state = request.app.state
    cache: FigureCache | None = getattr(state, "figure_cache", None)
    if cache is None:
        shared: SharedFigureStore | None = None
        redis_url = getattr(getattr(state, "settings", None), "redis_url", "")
        if redis_url:
            shared = RedisFigureStore(redis_url)
        cache = state.figure_cache = FigureCache(shared=shared)
    return cache


# Counts one stretch's figures from the appeals: the uncached path.
StretchCounter = Callable[[datetime, datetime], StretchFigures]


@dataclass(slots=True)
class _Entry:
    figures: StretchFigures
    watermark: int


@dataclass(slots=True)
class CacheStats:
    """Counters for the benchmark and the tests: served from the cache, recounted because an
    appeal of the stretch changed, counted for the first time, and entries evicted."""

    hits: int = 0
    stale: int = 0
    misses: int = 0
    evicted: int = 0
    shared: int = 0  # entries found in the shared level (then counted as hits or stale)


class FigureCache:
    """Figures of past stretches per (scope, start, end), checked against the timeline on
    every read. Thread-safe (the app serves requests from a thread pool)."""

    def __init__(self, max_cells: int = MAX_CELLS, shared: SharedFigureStore | None = None) -> None:
        self.max_cells = max_cells
        self.shared = shared
        self.stats = CacheStats()
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()

    @property
    def cells(self) -> int:
        return self._cells

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Key) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key: Key, figures: StretchFigures, watermark: int) -> None:
        if figures.cells > self.max_cells:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._cells -= old.figures.cells
            self._entries[key] = _Entry(figures, watermark)
            self._cells += figures.cells
            while self._cells > self.max_cells:
                _key, evicted = self._entries.popitem(last=False)
                self._cells -= evicted.figures.cells
                self.stats.evicted += 1

    def stretches(
        self,
        session: Session,
        scope_key: str,
        stretches: list[tuple[datetime, datetime]],
        *,
        now: datetime,
        count: StretchCounter,
    ) -> list[StretchFigures]:
        """The figures of each past stretch ``[start, end)`` in ``scope_key``'s scope: from the
        cache when no appeal received or closed in it changed since the entry was counted,
        otherwise counted by ``count(start, end)`` and stored. Two small statements per call
        when entries exist (the settled event id, and which stretches the appeals changed since
        were received or closed in), none more per stretch."""
        if not stretches:
            return []
        entries = {s: self._get((scope_key, *s)) for s in stretches}
        if self.shared is not None:
            self._load_shared(session, scope_key, entries)
        known = [e.watermark for e in entries.values() if e is not None]
        settled_after = min(known, default=0)
        settled = (
            unscoped_facts.last_event_id_settled(
                session, after=settled_after, at_or_before=now - COMMIT_LAG
            )
            or settled_after
        )
        cached = [s for s in stretches if entries[s] is not None]
        changed = dict(
            zip(
                cached,
                appeal_figures.stretches_changed_after(session, min(known, default=0), cached),
                strict=True,
            )
        )
        answers: list[StretchFigures] = []
        written: list[tuple[Key, StretchFigures, int]] = []
        for start, end in stretches:
            entry = entries[(start, end)]
            if entry is not None and not changed[(start, end)]:
                self.stats.hits += 1
                if settled > entry.watermark:
                    entry.watermark = settled
                    written.append(((scope_key, start, end), entry.figures, settled))
                answers.append(entry.figures)
                continue
            if entry is None:
                self.stats.misses += 1
            else:
                self.stats.stale += 1
            figures = count(start, end)
            self._put((scope_key, start, end), figures, settled)
            written.append(((scope_key, start, end), figures, settled))
            answers.append(figures)
        if self.shared is not None and written:
            self._store_shared(session, written)
        return answers

    def _store_shared(
        self, session: Session, written: list[tuple[Key, StretchFigures, int]]
    ) -> None:
        """Share entries with the instant of their watermark's event (an entry counted before
        any event settled is kept in this process only)."""
        assert self.shared is not None
        instants = appeal_figures.event_instants(session, [w for _k, _f, w in written if w])
        shared = [
            (key, SharedEntry(figures, watermark, instants[watermark]))
            for key, figures, watermark in written
            if watermark in instants
        ]
        if shared:
            self.shared.put_many(session, shared)

    def _load_shared(
        self, session: Session, scope_key: str, entries: dict[Stretch, _Entry | None]
    ) -> None:
        """Fill the stretches this process does not hold from the shared level (checked like
        any entry before they are served)."""
        missing = [s for s, entry in entries.items() if entry is None]
        if not missing or self.shared is None:
            return
        found = self.shared.get_many(session, [(scope_key, *s) for s in missing])
        hits = [(stretch, hit) for stretch, hit in zip(missing, found, strict=True) if hit]
        instants = appeal_figures.event_instants(session, [hit.watermark for _s, hit in hits])
        for stretch, hit in hits:
            if instants.get(hit.watermark) != hit.watermark_at:
                continue  # the timeline is not the one the entry was counted on
            self.stats.shared += 1
            self._put((scope_key, *stretch), hit.figures, hit.watermark)
            entries[stretch] = _Entry(hit.figures, hit.watermark)
