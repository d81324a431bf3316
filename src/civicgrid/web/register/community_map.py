"""The community map (民情图, /community-map): one region at a time — the top of the viewer's
scope first, then one level down per click (district → street → community → grid) — its parts
shaded by a chosen measure (residents, appeals per 1,000 residents over the last 365 Beijing
days, open appeals) with a legend, labels that make way for each other, and the same figures in
a table whose rows lead one level down (the page without its map, for keyboards and screen
readers). A page holds a handful of parts whatever the size of the territory; their boundaries
come from their own cached endpoint. The figures per grid are shared by every view
(:mod:`civicgrid.web.register.map_figures`). Counts only; no personal data leaves the register
here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.deps import DbSession, Now, ReadSession
from civicgrid.register import rules as register_rules
from civicgrid.territory import queries as territory_queries
from civicgrid.territory.hierarchy import ancestor_ids
from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.models import Region
from civicgrid.web.register import map_figures
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.figure_cache import FigureCache, figure_cache
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
PARTS_URL = "/community-map/parts.geojson"
COUNTS = ("buildings", "houses", "vacant_houses", "residents")  # register counts summed per part
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


def boundaries_body(grids: list[tuple[int, str, str, str | None]]) -> bytes:
    """The regions that have a boundary as a GeoJSON FeatureCollection with id, code and name
    as properties. The stored boundaries are GeoJSON text already and go in unparsed."""
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


@dataclass(frozen=True, slots=True)
class Place:
    """A region the map shows: a part of the viewed region (a row and a shape) or a step of the
    way down to it."""

    id: int
    code: str
    name: str
    level: str
    path: str
    boundary: str | None = None

    @property
    def level_label(self) -> str:
        return RegionLevel(self.level).label


@dataclass(frozen=True, slots=True)
class MapView:
    """What one view of the map shows: the ``parts`` of ``region`` (its children in the scope,
    or the grid itself at the bottom), and the way down to it from the top of the viewer's
    scope. ``region`` is None at the top of a scope made of several regions, whose parts are
    those regions."""

    region: Place | None
    crumbs: list[Place]
    parts: list[Place]

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""


def _place(region: Region) -> Place:
    return Place(region.id, region.code, region.name, region.level, region.path, region.boundary)


def _scope_tops(session: Session, actor: Actor) -> list[Place]:
    """The top regions of the actor's scope (the cities for a global scope), by code."""
    if actor.scope.is_global:
        return [_place(r) for r in territory_queries.roots(session)]
    ids = [int(p.strip("/").split("/")[-1]) for p in actor.scope.minimal_paths() if p.strip("/")]
    found = territory_queries.regions_by_ids(session, ids)
    return sorted((_place(r) for r in found.values()), key=lambda p: p.code)


def map_view(session: Session, actor: Actor, code: str = "") -> MapView:
    """The view of region ``code`` (NotFound outside the scope), or of the top of the scope:
    its one region, or its several regions as parts."""
    tops = _scope_tops(session, actor)
    if code:
        region = _place(territory_queries.get_region_for(session, actor, code))
    elif len(tops) == 1:
        region = tops[0]
    else:
        return MapView(None, [], tops)
    above = territory_queries.regions_by_ids(session, ancestor_ids(region.path))
    crumbs = [
        _place(r)
        for r in sorted(above.values(), key=lambda r: len(r.path))
        if r.id != region.id and actor.scope.covers_path(r.path)
    ]
    if region.level == RegionLevel.GRID.value:
        parts = [region]
    else:
        parts = [_place(r) for r in territory_queries.children(session, region.id)]
    return MapView(region, [*crumbs, region], parts)


def part_rows(
    parts: list[Place],
    register: dict[int, map_figures.RegionRegister],
    received: Sequence[dict[int, int]],
    open_now: dict[int, int],
) -> list[dict[str, Any]]:
    """One row of figures per part, from figures already summed per region (each region holds
    the sums over the grids under it); ``received`` in pieces to add up (past months, this
    one)."""
    out: list[dict[str, Any]] = []
    for p in parts:
        counts = register.get(p.id) or map_figures.RegionRegister()
        appeals = sum(piece.get(p.id, 0) for piece in received)
        out.append(
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "level": p.level,
                "buildings": counts.buildings,
                "houses": counts.houses,
                "vacant_houses": counts.vacant_houses,
                "residents": counts.residents,
                "appeals": appeals,
                "open": open_now.get(p.id, 0),
                "appeals_per_1000": per_thousand(appeals, counts.residents),
                "tags": dict(counts.tags.most_common()),
            }
        )
    return out


def map_rows(
    request: Request, session: Session, actor: Actor, view: MapView, now: datetime
) -> list[dict[str, Any]]:
    """The figures of the view's parts, read from figures summed per region: register counts
    and the past months' appeals for the whole territory, cached per app; this month's and the
    open appeals counted now under the view's region."""
    sensitive = actor.has_role(*register_rules.REVEAL_ROLES)
    caches = map_figures.map_cache(request)
    register = map_figures.register_counts(
        session, sensitive=sensitive, now=now, cache=caches.register
    ).per_region
    parts = [(p.id, p.path) for p in view.parts]
    under = [view.region.path] if view.region is not None else [p.path for p in view.parts]
    past, this_month = map_figures.received_past_and_live(
        session, now, figure_cache(request), parts=parts, under=under, past_sum=caches.past
    )
    open_now = map_figures.open_per_part(session, parts, under)
    received = [past, this_month]
    return part_rows(view.parts, register, received, open_now)


def appeals_per_region_last_year(
    session: Session, actor: Actor, now: datetime, cache: FigureCache | None = None
) -> dict[int, int]:
    """Appeals received per grid in the actor's scope over the last 365 Beijing days (the
    closed months through ``cache`` when given)."""
    received = map_figures.received_last_year(session, now, cache)
    grids = territory_queries.grid_paths(session)
    return {
        rid: n
        for rid, n in received.items()
        if rid in grids and actor.scope.covers_path(grids[rid])
    }


@router.get(BOUNDARIES_URL, include_in_schema=False)
def community_map_boundaries(request: Request, actor: PageActor, session: ReadSession) -> Response:
    """The boundaries of every grid in the actor's scope (the dashboard's map draws them), with
    a strong ETag over the body: the browser keeps them for a while and then revalidates, and
    gets an empty 304 while no boundary, name or grid in its scope has changed. Read from the
    read database, as the dashboard."""
    require(actor, register_rules.READ_ROLES)
    body = boundaries_body(territory_queries.grids_for(session, actor))
    return cached_response(
        request, body, media_type="application/geo+json", max_age=BOUNDARIES_MAX_AGE
    )


@router.get(PARTS_URL, include_in_schema=False)
def community_map_parts(
    request: Request,
    actor: PageActor,
    session: ReadSession,
    region: Annotated[str, Query(max_length=15)] = "",
) -> Response:
    """The boundaries of the parts of one view of the community map (a region's children in
    the actor's scope, a handful at every level), cached by the browser like the grids'."""
    require(actor, register_rules.READ_ROLES)
    view = map_view(session, actor, region.strip())
    body = boundaries_body([(p.id, p.code, p.name, p.boundary) for p in view.parts])
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
    region: Annotated[str, Query(max_length=15)] = "",
) -> Response:
    """民情图 of one region (the top of the viewer's scope by default): its parts (districts,
    streets, communities or grids) shaded by the chosen measure on the map and listed in a
    table, each leading one level down."""
    require(actor, register_rules.READ_ROLES)
    chosen = measure if measure in MEASURES else "residents"
    view = map_view(session, actor, region.strip())
    rows = map_rows(request, session, actor, view, now)
    for row in rows:
        row["value"] = row[chosen]
        row["href"] = (
            None
            if row["level"] == RegionLevel.GRID.value
            else f"/community-map?region={row['code']}&measure={chosen}"
        )
    classes = legend([float(row["value"]) for row in rows if row["value"] is not None])
    for row in rows:
        row["colour"] = shade(row["value"], classes)
    data = {
        "boundaries": PARTS_URL + (f"?region={view.code}" if view.code else ""),
        "parts": {str(row["id"]): row for row in rows},
    }
    rows.sort(key=lambda p: (-p["residents"], p["code"]))
    totals = {
        key: sum(p[key] for p in rows)
        for key in ("buildings", "houses", "vacant_houses", "residents", "appeals", "open")
    }
    part_level = rows[0]["level"] if rows else RegionLevel.GRID.value
    return render(
        request,
        "register/map.html",
        {
            "map_data": data,
            "view": view,
            "rows": rows,
            "totals": totals,
            "part_label": RegionLevel(part_level).label,
            "measures": list(MEASURES.items()),
            "measure": chosen,
            "measure_label": MEASURES[chosen],
            "legend": classes,
        },
    )
