"""The territory as the demo year sees it: grids with their street, district and register
addresses, the active departments and the utilities with the areas they serve."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from civicgrid.dispatch.routing import DepartmentOption, RegionRef, UtilityOption
from civicgrid.territory import queries as territory_queries


@dataclass(frozen=True)
class GridSpot:
    """A grid with everything an appeal in it needs."""

    id: int
    code: str
    name: str
    community: str
    street: RegionRef
    district: RegionRef
    city: RegionRef | None
    path: str
    shape: BaseGeometry | None
    addresses: tuple[str, ...]


@dataclass
class World:
    """Where appeals come from and the units they can go to."""

    grids: list[GridSpot]
    departments: list[DepartmentOption]
    utilities: list[tuple[UtilityOption, tuple[str, ...]]]
    """Each active utility with the region codes of the areas it serves."""
    district_departments: dict[int, list[int]]

    def departments_of(self, grid: GridSpot) -> list[int]:
        """Ids of the active departments of the grid's district."""
        return self.district_departments.get(grid.district.id, [])


def load_world(session: Session, addresses: Mapping[str, Sequence[str]]) -> World:
    """The territory read once; ``addresses`` maps a grid code to register addresses (a grid
    without any gets one made-up estate named after its community)."""
    regions = territory_queries.all_regions(session)
    by_id = {r.id: r for r in regions}

    def ref(region_id: int | None) -> RegionRef | None:
        region = by_id.get(region_id or 0)
        return None if region is None else RegionRef(region.id, region.code, region.name)

    grids: list[GridSpot] = []
    for region in regions:
        if region.level != "grid":
            continue
        community = by_id.get(region.parent_id or 0)
        street = by_id.get(community.parent_id or 0) if community else None
        district = by_id.get(street.parent_id or 0) if street else None
        if community is None or street is None or district is None:
            continue
        geometry = shape(json.loads(region.boundary)) if region.boundary else None
        fallback = (f"{community.name.removesuffix('社区')}小区",)
        grids.append(
            GridSpot(
                id=region.id, code=region.code, name=region.name, community=community.name,
                street=RegionRef(street.id, street.code, street.name),
                district=RegionRef(district.id, district.code, district.name),
                city=ref(district.parent_id), path=region.path, shape=geometry,
                addresses=tuple(addresses.get(region.code, ())) or fallback,
            )
        )  # fmt: skip
    departments = [
        DepartmentOption(d.id, d.code, d.name, d.region_id)
        for d in territory_queries.list_departments(session)
        if d.is_active
    ]
    utils = [u for u in territory_queries.list_utilities(session) if u.is_active]
    areas = territory_queries.service_area_codes(session, [u.id for u in utils])
    utilities = [
        (UtilityOption(u.id, u.code, u.name, u.service), tuple(areas.get(u.id, ()))) for u in utils
    ]
    district_departments: dict[int, list[int]] = {}
    for d in departments:
        district_departments.setdefault(d.region_id, []).append(d.id)
    return World(grids, departments, utilities, district_departments)


def point_in(grid: GridSpot, rng: random.Random) -> tuple[float, float]:
    """A point inside the grid's boundary, drawn from ``rng`` (the representative point after
    fifty misses)."""
    geometry = grid.shape
    if geometry is None:
        raise ValueError(f"grid {grid.code} has no boundary")
    west, south, east, north = geometry.bounds
    for _ in range(50):
        lon = round(rng.uniform(west, east), 6)
        lat = round(rng.uniform(south, north), 6)
        if geometry.contains(Point(lon, lat)):
            return lon, lat
    point = geometry.representative_point()
    return round(point.x, 6), round(point.y, 6)
