"""The leader's dashboard (/dashboard): 三率 cards, the period's appeal counts, trend lines,
category distribution, the ranking table and the month's top hot problems (热点问题), each
linking to the list of its appeals (/dashboard/hot-problems/{rank}); the map of grids coloured
by warning level and appeal density, whose figures the page fetches on their own
(/dashboard/grids.json), and the grids as a list, most pressing first, a page at a time
(/dashboard/grids); and the grid outlines every map picker draws (/maps/grids.geojson).

三率 and rankings come from ``assessment.service.ranking`` (the rollup tables the
``assessment.refresh`` job keeps current); the counts, trend, categories and grid loads are
counted in SQL by ``web.dashboard.figures`` (closed months through the app's ``FigureCache``,
checked against the appeals' timeline on every view); the hot problems come from the snapshot
of the ``insight.hotspots`` job. Everything is read through :data:`civicgrid.deps.ReadSession` (the
read-only replica when one is configured). Charts and the map are drawn by
``static/js/dashboard.js``; every figure is also in HTML. The page's size and cost do not grow
with the territory: the per-grid figures (tens of thousands of grids in a city) are only
counted when the map or the grid list asks for them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from civicgrid.assessment import service as assessment_service
from civicgrid.assessment.periods import Period, local_date, month_period, parse_period
from civicgrid.assessment.ranking import UnitType, parse_unit_type
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.deps import AppSettings, DbSession, Now, ReadSession
from civicgrid.web.dashboard import figures
from civicgrid.web.shared.appeal_rows import appeal_row
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.dispatch_choices import category_names
from civicgrid.web.shared.figure_cache import figure_cache
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.http_cache import cached_response
from civicgrid.web.shared.render import error_page, render

router = APIRouter(tags=["pages"])

DASHBOARD_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.ADMIN})


def _pct(value: float) -> float:
    return round(value * 100, 1)


@router.get("/dashboard", include_in_schema=False)
def dashboard(
    request: Request,
    actor: PageActor,
    session: ReadSession,
    now: Now,
    settings: AppSettings,
    period: Annotated[str, Query(max_length=30)] = "",
    unit_type: Annotated[str, Query(max_length=20)] = UnitType.STREET.value,
) -> Response:
    """The period (default: this month) at a glance for the leader's data scope."""
    require(actor, DASHBOARD_ROLES)
    chosen = _chosen_period(period, now)
    kind = parse_unit_type(unit_type)
    config = assessment_service.load_config(settings.var_dir)
    table = assessment_service.ranking(
        session, actor=actor, period=chosen, unit_type=kind, config=config
    )
    rates = table.total_rates
    shown = figures.page_figures(session, actor, chosen, now, figure_cache(request))
    trend = figures.daily_trend(shown.figures, chosen, now)
    counts = figures.period_counts(trend, shown.open_now, shown.overdue_now)
    categories = figures.category_counts(shown.figures.per_category, category_names())
    hot = figures.hot_problems(session, actor, chosen, now)
    rankings = [
        {
            "rank": u.rank,
            "name": u.name,
            "response": _pct(u.rates.response),
            "resolution": _pct(u.rates.resolution),
            "satisfaction": _pct(u.rates.satisfaction),
            "score": _pct(u.rates.score),
            "has_data": u.rates.has_data,
            "class_label": u.rank_class.label if u.rank_class else "",
            "warning": u.warning.value if u.warning else "",
            "warning_label": u.warning.label if u.warning else "",
            "n": u.counts.n,
        }
        for u in table.units
    ]
    data: dict[str, Any] = {
        "trend": {"days": trend.days, "received": trend.received, "closed": trend.closed},
        "categories": [{"name": name, "value": n} for name, n in categories],
        "ranking": [{"name": r["name"], "score": r["score"]} for r in rankings if r["has_data"]][
            :15
        ],
        "grids": f"/dashboard/grids.json?period={quote(chosen.key)}",
    }
    return render(
        request,
        "dashboard/index.html",
        {
            "period": chosen,
            "unit_type": kind,
            "unit_types": [(t.value, t.label) for t in UnitType],
            "rates": {
                "response": _pct(rates.response),
                "resolution": _pct(rates.resolution),
                "satisfaction": _pct(rates.satisfaction),
                "score": _pct(rates.score),
                "has_response": rates.has_response,
                "has_callbacks": rates.has_callbacks,
            },
            "totals": table.totals,
            "counts": counts,
            "trend": trend,
            "categories": categories,
            "rankings": rankings,
            "hot": hot,
            "data": data,
        },
    )


def _chosen_period(period: str, now: datetime) -> Period:
    today = local_date(now)
    return parse_period(period) if period else month_period(today.year, today.month)


def _grid_loads(
    request: Request, actor: Actor, session: Session, period: Period, now: datetime
) -> list[figures.GridLoad]:
    return figures.grid_loads(session, actor, period, now, figure_cache(request))


@router.get("/dashboard/grids.json", include_in_schema=False)
def grid_figures(
    request: Request,
    actor: PageActor,
    session: ReadSession,
    now: Now,
    period: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    """The dashboard map's figures per grid (received in the period, open and overdue now,
    warning colour now), fetched by the map: the page does not grow with the territory.
    Counted on every request; the ETag spares the transfer when nothing changed."""
    require(actor, DASHBOARD_ROLES)
    chosen = _chosen_period(period, now)
    body = json.dumps(
        figures.grid_map_figures(_grid_loads(request, actor, session, chosen, now)),
        separators=(",", ":"),
    ).encode()
    return cached_response(request, body, media_type="application/json", max_age=0)


@router.get("/dashboard/grids", include_in_schema=False)
def grid_list(
    request: Request,
    actor: PageActor,
    session: ReadSession,
    now: Now,
    period: Annotated[str, Query(max_length=30)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The grids of the dashboard's scope, most pressing first (overdue, open, received in the
    period), a page at a time: the dashboard's 网格明细 loads its first page when opened."""
    require(actor, DASHBOARD_ROLES)
    chosen = _chosen_period(period, now)
    grids = figures.grid_page(_grid_loads(request, actor, session, chosen, now), page)
    return render(
        request,
        "dashboard/grids.html",
        {"period": chosen, "grids": grids},
        fragment="dashboard/_grids.html",
    )


@router.get("/dashboard/hot-problems/{rank}", include_in_schema=False)
def hot_problem(
    request: Request,
    actor: PageActor,
    session: ReadSession,
    now: Now,
    rank: int,
    period: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    """The appeals of one hot problem of the dashboard (its rank in the month's list), with
    its label, terms, places and dates: what the leader opens from the dashboard's label."""
    require(actor, DASHBOARD_ROLES)
    chosen = _chosen_period(period, now)
    found = figures.hot_problem_members(session, actor, chosen, now, rank)
    if found is None:
        return error_page(
            request, 404, f"{chosen.label}没有第 {rank} 个热点问题（热点问题按月计算）"
        )
    problem, members = found
    return render(
        request,
        "dashboard/hot_problem.html",
        {
            "period": chosen,
            "problem": problem,
            "rows": [appeal_row(a, now) for a in members],
        },
    )


@router.get("/maps/grids.geojson", include_in_schema=False)
def grid_outlines(actor: PageActor, session: DbSession) -> Response:
    """The grid boundaries with their names (public geography, no figures) for map pickers."""
    return JSONResponse(figures.grid_outlines(session))
