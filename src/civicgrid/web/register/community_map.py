"""The community map (民情图, /community-map): the grids in the actor's scope coloured by a chosen
measure (residents, appeals per 1,000 residents over the last 365 Beijing days — the closed
months of them through the app's figure cache — open appeals) with a
legend and permanent grid labels, and buildings, houses, vacant houses and tag counts per grid.
Counts only; no personal data leaves the register here."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.appeals import queries as appeal_queries
from civicgrid.appeals.queries import figures as appeal_figures
from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now, ReadSession
from civicgrid.kit.periods import Period, day_range, local_date
from civicgrid.register import queries as register_queries
from civicgrid.register import rules as register_rules
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.figure_cache import (
    FigureCache,
    StretchFigures,
    figure_cache,
    scope_key,
    stretches,
)
from civicgrid.web.shared.forms import require
from civicgrid.web.shared.http_cache import GRID_BOUNDARIES_URL, cached_response
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])

MEASURES = {
    "residents": "实有人口（人）",
    "appeals_per_1000": "近一年每千人诉求量（件）",
    "open": "未办结诉求（件）",
}
SHADES = ("#e3ecf7", "#b6cde9", "#7fa7d6", "#3f76b8", "#1a4a87")
BOUNDARIES_URL = GRID_BOUNDARIES_URL
BOUNDARIES_MAX_AGE = 300  # seconds a browser reuses the boundaries before revalidating


def per_thousand(appeals: int, residents: int) -> float | None:
    """Appeals per 1,000 residents (None for a grid without registered residents)."""
    return round(appeals * 1000 / residents, 1) if residents else None


def legend(values: list[float]) -> list[dict[str, Any]]:
    """Equal-width classes from 0 to the largest value, each with its shade; a single class
    when every value is 0."""
    top = max(values, default=0.0)
    if top <= 0:
        return [{"low": 0, "high": 0, "colour": SHADES[0]}]
    step = top / len(SHADES)
    return [
        {"low": round(i * step, 1), "high": round((i + 1) * step, 1), "colour": colour}
        for i, colour in enumerate(SHADES)
    ]


def shade(value: float | None, classes: list[dict[str, Any]]) -> str:
    """The shade of the class holding ``value`` (grey for no value)."""
    if value is None:
        return "#f0f0f0"
    for c in classes:
        if value <= c["high"]:
            return str(c["colour"])
    return str(classes[-1]["colour"])


def grid_rows(
    grids: list[tuple[int, str, str, bool]],
    summaries: dict[int, register_queries.GridRegisterSummary],
) -> list[dict[str, Any]]:
    """One row of register figures per grid (grids without register data count zero)."""
    rows = []
    for grid_id, code, name, _has_boundary in grids:
        s = summaries.get(grid_id, register_queries.GridRegisterSummary(grid_id=grid_id))
        rows.append(
            {
                "id": grid_id,
                "code": code,
                "name": name,
                "buildings": s.buildings,
                "houses": s.houses,
                "vacant_houses": s.vacant_houses,
                "residents": s.residents,
                "tags": s.tags,
            }
        )
    return rows


def community_map_data(
    grids: list[tuple[int, str, str, bool]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The figures of the grids that have a boundary, keyed by grid id (the boundaries come
    from /community-map/boundaries.geojson, cached by the browser; the figures stay fresh)."""
    by_id = {row["id"]: row for row in rows}
    return {
        "boundaries": BOUNDARIES_URL,
        "grids": {
            str(gid): by_id[gid] for gid, _code, _name, has_boundary in grids if has_boundary
        },
    }


def boundaries_body(grids: list[tuple[int, str, str, str | None]]) -> bytes:
    """The grids that have a boundary as a GeoJSON FeatureCollection with id, code and name as
    properties. The stored boundaries are GeoJSON text already and go in unparsed."""
    features = [
        '{"type":"Feature","geometry":'
        + boundary
        + ',"properties":'
        + json.dumps({"id": gid, "code": code, "name": name}, ensure_ascii=False)
        + "}"
        for gid, code, name, boundary in grids
        if boundary
    ]
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()


def last_year(today: date) -> Period:
    """The 365 Beijing days ending with ``today``: the window of the appeals measure."""
    return day_range(today - timedelta(days=364), today)


def appeals_per_region_last_year(
    session: Session, actor: Actor, now: datetime, cache: FigureCache | None = None
) -> dict[int, int]:
    """Appeals in the actor's scope received per region over :func:`last_year`: the closed
    months through ``cache`` when given (checked against the appeals' timeline on every view),
    the current month counted now."""
    past, live = stretches(last_year(local_date(now)), local_date(now))

    def count(start: datetime, end: datetime) -> StretchFigures:
        return StretchFigures(
            per_region=appeal_figures.received_by_region_for(session, actor, start=start, end=end)
        )

    if cache is not None:
        parts = cache.stretches(session, "regions " + scope_key(actor), past, now=now, count=count)
    else:
        parts = [count(start, end) for start, end in past]
    if live is not None:
        parts.append(count(*live))
    total: Counter[int] = Counter()
    for part in parts:
        total.update(part.per_region)
    return dict(total)


@router.get(BOUNDARIES_URL, include_in_schema=False)
def community_map_boundaries(request: Request, actor: PageActor, session: ReadSession) -> Response:
    """The boundaries of the grids in the actor's scope (the same grids as the page), with a
    strong ETag over the body: the browser keeps them for a while and then revalidates, and
    gets an empty 304 while no boundary, name or grid in its scope has changed. Read from the
    read database, as the dashboard whose map draws them too."""
    require(actor, register_rules.READ_ROLES)
    body = boundaries_body(territory_queries.grids_for(session, actor))
    return cached_response(
        request, body, media_type="application/geo+json", max_age=BOUNDARIES_MAX_AGE
    )


@router.get("/community-map", include_in_schema=False)
def community_map(
    request: Request,
    actor: PageActor,
    session: DbSession,
    now: Now,
    measure: Annotated[str, Query(max_length=20)] = "residents",
) -> Response:
    """民情图: one map layer of grids shaded by the chosen measure, plus the same as a table."""
    chosen = measure if measure in MEASURES else "residents"
    summaries = register_queries.grid_summaries_for(session, actor)
    grids = territory_queries.grid_heads_for(session, actor)
    rows = grid_rows(grids, summaries)
    ids = [row["id"] for row in rows]
    received = appeals_per_region_last_year(session, actor, now, figure_cache(request))
    open_now = appeal_queries.open_per_region_for(session, actor, region_ids=ids, now=now)
    for row in rows:
        row["appeals"] = received.get(row["id"], 0)
        row["open"] = open_now[row["id"]].open if row["id"] in open_now else 0
        row["appeals_per_1000"] = per_thousand(row["appeals"], row["residents"])
        row["value"] = row[chosen]
    classes = legend([float(row["value"]) for row in rows if row["value"] is not None])
    for row in rows:
        row["colour"] = shade(row["value"], classes)
    data = community_map_data(grids, rows)
    rows.sort(key=lambda p: (-p["residents"], p["code"]))
    totals = {
        key: sum(p[key] for p in rows)
        for key in ("buildings", "houses", "vacant_houses", "residents")
    }
    return render(
        request,
        "register/map.html",
        {
            "map_data": data,
            "rows": rows,
            "totals": totals,
            "measures": list(MEASURES.items()),
            "measure": chosen,
            "measure_label": MEASURES[chosen],
            "legend": classes,
        },
    )
