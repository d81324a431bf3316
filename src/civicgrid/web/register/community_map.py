"""The community map (民情图, /register/map): the grids in the actor's scope coloured by the
number of residents, with buildings, houses, vacant houses and tag counts per grid. Counts only;
no personal data leaves the register here."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicgrid.deps import DbSession
from civicgrid.register import queries as register_queries
from civicgrid.territory import queries as territory_queries
from civicgrid.web.shared.context import PageActor
from civicgrid.web.shared.render import render

router = APIRouter(tags=["pages"])


def grid_rows(
    grids: list[tuple[int, str, str, str | None]],
    summaries: dict[int, register_queries.GridRegisterSummary],
) -> list[dict[str, Any]]:
    """One row of register figures per grid (grids without register data count zero)."""
    rows = []
    for grid_id, code, name, _boundary in grids:
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
    grids: list[tuple[int, str, str, str | None]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The grids that have a boundary as GeoJSON features with their figures as properties."""
    by_id = {row["id"]: row for row in rows}
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(boundary), "properties": by_id[gid]}
            for gid, _code, _name, boundary in grids
            if boundary
        ],
    }


@router.get("/community-map", include_in_schema=False)
def community_map(request: Request, actor: PageActor, session: DbSession) -> Response:
    """民情图: one map layer of grids with the register's counts, plus the same as a table."""
    summaries = register_queries.grid_summaries_for(session, actor)
    grids = territory_queries.grids_for(session, actor)
    rows = grid_rows(grids, summaries)
    data = community_map_data(grids, rows)
    rows.sort(key=lambda p: (-p["residents"], p["code"]))
    totals = {
        key: sum(p[key] for p in rows)
        for key in ("buildings", "houses", "vacant_houses", "residents")
    }
    return render(
        request,
        "register/map.html",
        {"map_data": data, "rows": rows, "totals": totals},
    )
