"""Read-only figures for the leader's dashboard that the assessment rollup does not hold: the
period's appeal counts, the daily trend, the category distribution and the per-grid load and
warning colour — all within the viewer's data scope, counted in SQL (grouped by Beijing day,
catalogue code and region) — and the hot problems, read from the snapshot the
``insight.hotspots`` job keeps (mining them on read would take seconds).

The received/closed figures of closed months (every calendar month of the period before the
current one) come through :class:`~civicgrid.web.shared.figure_cache.FigureCache` when the
page passes one: recounted only when an appeal received before the month's end changed since.
The current month's figures and the open and overdue counts are counted on every view, by one
statement that applies the data scope once (``page_figures``); the per-grid figures (received,
open, overdue, colour) only when the map or the grid list asks for them — a city has tens of
thousands of grids, so the page never carries them.

No use case and no writes. The 三率 and the rankings come from ``assessment.service``; the
counts come from ``appeals.queries`` (which applies the data scope).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.queries import figures as appeal_figures
from civicgrid.assessment.periods import Period, PeriodKind, local_date
from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.insight import snapshots as insight_snapshots
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.figure_cache import (
    FigureCache,
    Stretch,
    scope_key,
    stretches,
)
from civicgrid.web.shared.figure_store import StretchFigures
from civicgrid.web.shared.http_cache import GRID_BOUNDARIES_URL

TOP_CATEGORIES = 10
TOP_HOT_PROBLEMS = 10
GRIDS_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """Appeals received and closed in the period, and open / overdue now."""

    received: int
    closed: int
    open_now: int
    overdue_now: int


@dataclass(frozen=True, slots=True)
class Trend:
    """Appeals received and closed per Beijing day of the period."""

    days: list[str]
    received: list[int]
    closed: list[int]


def trend_days(period: Period, today: date) -> list[date]:
    """The days a trend plots: the period's days up to ``today`` (Beijing date). Days still to
    come have no figures yet, so they are left out instead of drawn as zeros."""
    return [d for d in period.each_day() if d <= today]


def count_stretch(session: Session, actor: Actor, start: datetime, end: datetime) -> StretchFigures:
    """The received/closed figures of ``[start, end)`` in the actor's scope: four grouped
    statements, no appeal row loaded."""
    return StretchFigures(
        received_per_day=appeal_figures.received_per_day_for(session, actor, start=start, end=end),
        closed_per_day=appeal_figures.closed_per_day_for(session, actor, start=start, end=end),
        per_category=appeal_queries.category_counts_for(session, actor, start=start, end=end),
        per_region=appeal_figures.received_by_region_for(session, actor, start=start, end=end),
    )


def _merge(parts: list[StretchFigures]) -> StretchFigures:
    received: Counter[date] = Counter()
    closed: Counter[date] = Counter()
    categories: Counter[str] = Counter()
    regions: Counter[int] = Counter()
    for part in parts:
        received.update(part.received_per_day)
        closed.update(part.closed_per_day)
        categories.update(part.per_category)
        regions.update(part.per_region)
    return StretchFigures(dict(received), dict(closed), dict(categories), dict(regions))


def _past_figures(
    session: Session, actor: Actor, past: list[Stretch], now: datetime, cache: FigureCache | None
) -> list[StretchFigures]:
    def count(start: datetime, end: datetime) -> StretchFigures:
        return count_stretch(session, actor, start, end)

    if cache is not None:
        return cache.stretches(session, scope_key(actor), past, now=now, count=count)
    return [count(start, end) for start, end in past]


def period_figures(
    session: Session,
    actor: Actor,
    period: Period,
    now: datetime,
    cache: FigureCache | None = None,
) -> StretchFigures:
    """The period's received and closed appeals per day, per catalogue code and per region
    within the actor's scope; the months before today through ``cache`` when given."""
    past, live = stretches(period, local_date(now))
    parts = _past_figures(session, actor, past, now, cache)
    if live is not None:
        parts.append(count_stretch(session, actor, *live))
    return _merge(parts)


@dataclass(frozen=True, slots=True)
class PageFigures:
    """What the dashboard page shows besides the 三率: the period's figures (``per_region``
    left empty: the map and the grid list fetch those) and the open / overdue appeals now."""

    figures: StretchFigures
    open_now: int
    overdue_now: int


def page_figures(
    session: Session,
    actor: Actor,
    period: Period,
    now: datetime,
    cache: FigureCache | None = None,
) -> PageFigures:
    """The dashboard page's figures: the closed months through ``cache`` when given; the live
    stretch (this month) and the open / overdue counts now by one statement that applies the
    data scope once (:func:`appeal_figures.live_figures_for`); never cached."""
    past, live = stretches(period, local_date(now))
    parts = _past_figures(session, actor, past, now, cache)
    if live is None:
        open_now, overdue_now = appeal_figures.open_and_overdue_for(session, actor, now=now)
    else:
        start, end = live
        found = appeal_figures.live_figures_for(session, actor, start=start, end=end, now=now)
        parts.append(
            StretchFigures(found.received_per_day, found.closed_per_day, found.per_category)
        )
        open_now, overdue_now = found.open_now, found.overdue_now
    merged = _merge(parts)
    return PageFigures(
        StretchFigures(merged.received_per_day, merged.closed_per_day, merged.per_category),
        open_now,
        overdue_now,
    )


def daily_trend(figures: StretchFigures, period: Period, now: datetime) -> Trend:
    """Received and closed appeals per day of ``period``, ending at today's Beijing date."""
    days = trend_days(period, local_date(now))
    return Trend(
        days=[d.strftime("%m-%d") for d in days],
        received=[figures.received_per_day.get(d, 0) for d in days],
        closed=[figures.closed_per_day.get(d, 0) for d in days],
    )


def period_counts(trend: Trend, open_now: int, overdue_now: int) -> PeriodCounts:
    """The period's received and closed counts (the sums of its daily ``trend``) with the open
    and overdue appeals now."""
    return PeriodCounts(
        received=sum(trend.received),
        closed=sum(trend.closed),
        open_now=open_now,
        overdue_now=overdue_now,
    )


def category_counts(per_code: dict[str, int], names: dict[str, str]) -> list[tuple[str, int]]:
    """Appeals per first-level catalogue category (名称 from ``names``, code → "一级 / 二级 /
    三级"), most frequent first, from the counts per code ("" = unclassified, counted as
    未分类)."""
    totals: Counter[str] = Counter()
    for code, n in per_code.items():
        full = names.get(code, "")
        totals[full.split(" / ")[0] if full else "未分类"] += n
    ranked = totals.most_common()
    if len(ranked) > TOP_CATEGORIES:
        rest = sum(n for _name, n in ranked[TOP_CATEGORIES - 1 :])
        ranked = [*ranked[: TOP_CATEGORIES - 1], ("其他", rest)]
    return ranked


@dataclass
class GridLoad:
    """One grid on the map: how many appeals it received in the period, how many are open,
    and the worst deadline warning among its open appeals."""

    region_id: int
    code: str
    name: str
    received: int = 0
    open_now: int = 0
    overdue: int = 0
    warning: WarningLevel | None = None


def grid_loads(
    session: Session,
    actor: Actor,
    period: Period,
    now: datetime,
    cache: FigureCache | None = None,
) -> list[GridLoad]:
    """The grids in the actor's scope that have a boundary, with the period's appeals received
    per grid (the closed months through ``cache`` when given) and their open appeals and
    warning colour now (the live stretch and the open appeals by one statement that applies
    the data scope once; the boundaries themselves are fetched by the browser from their
    cached endpoint)."""
    grids = {
        rid: GridLoad(rid, code, name)
        for rid, code, name, has_boundary in territory_queries.grid_heads_for(session, actor)
        if has_boundary
    }
    if not grids:
        return []
    past, live = stretches(period, local_date(now))
    for part in _past_figures(session, actor, past, now, cache):
        for region_id, n in part.per_region.items():
            if region_id in grids:
                grids[region_id].received += n
    found = appeal_figures.region_figures_for(session, actor, now=now, received_in=live)
    for region_id, figures in found.items():
        grid = grids.get(region_id)
        if grid is not None:
            grid.received += figures.received
            grid.open_now, grid.overdue = figures.open.open, figures.open.red
            grid.warning = figures.open.warning
    return list(grids.values())


def grid_map_figures(loads: list[GridLoad]) -> dict[str, Any]:
    """The map's figures, fetched by the dashboard's map on its own (not embedded in the page):
    where the browser gets the boundaries (cached, revalidated by ETag; they carry each grid's
    name) and, per grid id, ``[received, open, overdue, warning]`` — only grids with any of
    them (a city holds tens of thousands of grids, most of them quiet in a given month); a
    grid left out has zeros and no warning."""
    return {
        "boundaries": GRID_BOUNDARIES_URL,
        "grids": {
            str(g.region_id): [
                g.received,
                g.open_now,
                g.overdue,
                g.warning.value if g.warning else "",
            ]
            for g in loads
            if g.received or g.open_now
        },
    }


@dataclass(frozen=True, slots=True)
class GridPage:
    """One page of the grid list: the most pressing grids first (overdue, then open, then
    received in the period), ``total`` grids in all."""

    rows: list[GridLoad]
    page: int
    pages: int
    total: int


def grid_page(loads: list[GridLoad], page: int, per_page: int = GRIDS_PER_PAGE) -> GridPage:
    """Page ``page`` (from 1; past the last page gives the last) of ``loads`` ranked by
    overdue, open and received appeals, then by code."""
    ranked = sorted(loads, key=lambda g: (-g.overdue, -g.open_now, -g.received, g.code))
    pages = max(1, -(-len(ranked) // per_page))
    page = min(max(page, 1), pages)
    first = (page - 1) * per_page
    return GridPage(ranked[first : first + per_page], page, pages, len(ranked))


def grid_outlines(session: Session) -> dict[str, Any]:
    """Every grid's boundary with its name (no figures): the background of map pickers."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(boundary),
                "properties": {"id": rid, "code": code, "name": name},
            }
            for rid, code, name, _, boundary in territory_queries.grid_rows(session)
        ],
    }


@dataclass(frozen=True, slots=True)
class HotProblem:
    """One hot problem as the dashboard lists it; ``samples`` are (appeal id, title),
    ``member_ids`` every appeal of the group (for its list page)."""

    rank: int
    label: str
    terms: list[str]
    places: list[str]
    first_at: datetime
    last_at: datetime
    size: int
    heat: float
    samples: list[tuple[int, str]]
    member_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HotProblems:
    """The period's top hot problems within the viewer's scope. ``available`` is False when
    the period is not a month the job keeps ready (or the job has not run yet);
    ``computed_at`` says when the snapshot was mined."""

    available: bool
    computed_at: datetime | None = None
    items: list[HotProblem] = field(default_factory=list)


def hot_problems(
    session: Session, actor: Actor, period: Period, now: datetime, limit: int = TOP_HOT_PROBLEMS
) -> HotProblems:
    """The top hot problems of a month from the job's snapshot, whatever its age (the page
    shows when it was computed); not available for weeks, custom ranges or months without a
    snapshot."""
    if period.kind is not PeriodKind.MONTH:
        return HotProblems(available=False)
    cached = insight_snapshots.cached_hotspots_for(
        session, actor=actor, period=period, now=now, limit=limit, fresh_for=None
    )
    if cached is None:
        return HotProblems(available=False)
    items = [
        HotProblem(
            rank=h.rank,
            label=h.label,
            terms=list(h.terms),
            places=list(h.places or h.areas),
            first_at=h.first_at,
            last_at=h.last_at,
            size=h.size,
            heat=h.heat,
            samples=[(i, s.title) for i, s in zip(ids, h.samples, strict=True)],
            member_ids=list(members),
        )
        for h, ids, members in zip(
            cached.report.hotspots, cached.sample_ids, cached.member_ids, strict=True
        )
    ]
    return HotProblems(available=True, computed_at=cached.report.computed_at, items=items)


def hot_problem_members(
    session: Session, actor: Actor, period: Period, now: datetime, rank: int
) -> tuple[HotProblem, list[appeal_queries.AppealRecord]] | None:
    """The hot problem of ``rank`` on the dashboard of ``period`` and its appeals that
    ``actor`` may open (oldest first); None when the period has no such problem."""
    hot = hot_problems(session, actor, period, now)
    found = next((h for h in hot.items if h.rank == rank), None)
    if found is None:
        return None
    members: list[appeal_queries.AppealRecord] = []
    for appeal_id in found.member_ids:
        try:
            members.append(appeal_queries.by_id_for(session, actor, appeal_id))
        except NotFound:
            continue  # merged away or moved out of the reader's scope since the mining
    members.sort(key=lambda a: (a.received_at, a.id))
    return found, members
