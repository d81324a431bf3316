"""Where an appeal is and who answers for it there: the place from coordinates, the region
chosen at intake or the address text, and the routing decision with the departments and
utilities of that place. Read-only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicgrid.dispatch import queries
from civicgrid.dispatch.catalogue import CatalogueItem
from civicgrid.dispatch.normalise import MAX_TEXT_CHARS
from civicgrid.dispatch.places import RegionIndex, place_from_region, place_from_text
from civicgrid.dispatch.routing import UNKNOWN_PLACE, Place, RoutingDecision, route
from civicgrid.territory.locate import locate


def resolve_place(
    session: Session,
    *,
    lon: float | None = None,
    lat: float | None = None,
    region_id: int | None = None,
    address: str = "",
    fallback_text: str = "",
    index: RegionIndex | None = None,
) -> Place:
    """Where the appeal is: coordinates in a grid, else the region chosen at intake (when it
    is finer than the district), else the address text (then the appeal text) parsed against
    the territory and the register; unknown when none of them works."""
    index = index or RegionIndex(queries.region_names(session))
    coarse: Place | None = None
    if lon is not None and lat is not None:
        located = locate(session, lon, lat)
        if located is not None:
            return place_from_region(
                index,
                located.grid.region_id,
                source="coordinates",
                confidence=1.0,
                detail=f"{located.grid.name}",
            )
    if region_id is not None:
        place = place_from_region(index, region_id, source="region", confidence=1.0)
        if place.street is not None:
            return place
        coarse = place if place.known else None
    for text in (address, fallback_text):
        if not text.strip():
            continue
        parsed = index.parse(text[:MAX_TEXT_CHARS])
        prefix = parsed.region.path if parsed.region is not None else ""
        if coarse is not None and coarse.region_path.startswith(prefix):
            prefix = coarse.region_path
        place, _parsed, _match = place_from_text(
            index, text[:MAX_TEXT_CHARS], queries.address_refs(session, prefix), parsed=parsed
        )
        if place.known and (coarse is None or place.region_path.startswith(coarse.region_path)):
            return place
        if parsed.outside and coarse is None:
            # The address names divisions outside the territory (上海市浦东新区…): the appeal
            # text must not overrule it with a chance match of a local name.
            return place
    return coarse or UNKNOWN_PLACE


def decide_route(session: Session, item: CatalogueItem | None, place: Place) -> RoutingDecision:
    """:func:`.routing.route` with the departments and utilities of the place."""
    region_ids = [r.id for r in (place.district, place.city) if r is not None]
    departments = queries.departments_for(session, region_ids) if region_ids else []
    utilities = queries.utilities_for(session, place.region_id) if place.region_id else []
    return route(item, place, departments=departments, utilities=utilities)
