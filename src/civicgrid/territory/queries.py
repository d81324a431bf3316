"""Read-side queries of the territory, used by other packages instead of the models.

``get_*`` raises :class:`~civicgrid.errors.NotFound`, ``find_*`` returns ``None``, ``*_for``
applies the actor's data scope (a region outside the scope is reported as not found).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.territory.hierarchy import ancestor_ids
from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.models import Department, Region, Utility, UtilityServiceArea


@dataclass(frozen=True, slots=True)
class RegionHead:
    """A region without its boundary: what lists and pickers need."""

    id: int
    code: str
    name: str
    level: str
    path: str


def region_paths(session: Session, region_ids: Iterable[int]) -> dict[int, str]:
    """Materialised paths of the given regions, keyed by id (missing ids are left out)."""
    ids = list(set(region_ids))
    if not ids:
        return {}
    rows = session.execute(select(Region.id, Region.path).where(Region.id.in_(ids)))
    return dict(rows.all())


def region_path_of(
    region_id: ColumnElement[int | None] | QueryableAttribute[int | None],
) -> ScalarSelect[str]:
    """The materialised path of the region ``region_id`` (a column of the caller's statement)
    as a correlated scalar subquery, NULL when there is no such region: lets another package
    read a path in the same statement as its own rows."""
    return select(Region.path).where(Region.id == region_id).scalar_subquery()


def find_region_by_code(session: Session, code: str) -> Region | None:
    """The region with this code, or ``None``."""
    return session.scalars(select(Region).where(Region.code == code)).one_or_none()


def get_region_by_code(session: Session, code: str) -> Region:
    """The region with this code; :class:`NotFound` when there is none."""
    region = find_region_by_code(session, code)
    if region is None:
        raise NotFound(f"区域编码“{code}”不存在")
    return region


def get_region_for(session: Session, actor: Actor, code: str) -> Region:
    """The region with this code if the actor's data scope covers it; otherwise
    :class:`NotFound` (the same answer as for a missing code, so that the scope does not leak
    which codes exist)."""
    region = find_region_by_code(session, code)
    if region is None or not actor.scope.covers_path(region.path):
        raise NotFound(f"区域编码“{code}”不存在或不在您的数据范围内")
    return region


def regions_by_codes(session: Session, codes: Iterable[str]) -> dict[str, Region]:
    """Regions with the given codes, keyed by code (unknown codes are left out)."""
    wanted = sorted(set(codes))
    found: dict[str, Region] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for region in session.scalars(select(Region).where(Region.code.in_(chunk))):
            found[region.code] = region
    return found


def regions_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Region]:
    """Regions with the given ids, keyed by id."""
    wanted = sorted(set(ids))
    found: dict[int, Region] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for region in session.scalars(select(Region).where(Region.id.in_(chunk))):
            found[region.id] = region
    return found


def children(session: Session, region_id: int) -> Sequence[Region]:
    """The direct children of a region, by code."""
    stmt = select(Region).where(Region.parent_id == region_id).order_by(Region.code)
    return session.scalars(stmt).all()


def children_of_many(session: Session, parent_ids: Iterable[int]) -> Sequence[Region]:
    """The direct children of several regions, by code."""
    wanted = sorted(set(parent_ids))
    result: list[Region] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        stmt = select(Region).where(Region.parent_id.in_(chunk)).order_by(Region.code)
        result.extend(session.scalars(stmt))
    return result


def grid_paths(session: Session, *, under: str = "") -> dict[int, str]:
    """Id → materialised path of every grid under the region with path ``under`` (every grid
    for ''; a city holds tens of thousands: no other column)."""
    stmt = select(Region.id, Region.path).where(Region.level == RegionLevel.GRID.value)
    if under:
        stmt = stmt.where(Region.path.startswith(under, autoescape=True))
    return {int(rid): str(path) for rid, path in session.execute(stmt)}


def region_heads_at(session: Session, levels: Iterable[str]) -> list[RegionHead]:
    """(id, code, name, level, path) of the regions of ``levels`` (no boundary), by code."""
    stmt = (
        select(Region.id, Region.code, Region.name, Region.level, Region.path)
        .where(Region.level.in_(sorted(set(levels))))
        .order_by(Region.code)
    )
    return [RegionHead(*row) for row in session.execute(stmt)]


def roots(session: Session) -> Sequence[Region]:
    """The regions without a parent (the cities), by code."""
    return session.scalars(
        select(Region).where(Region.parent_id.is_(None)).order_by(Region.code)
    ).all()


def ancestors(session: Session, region: Region) -> list[Region]:
    """The ancestors of a region, root (city) first, without the region itself."""
    ids = ancestor_ids(region.path)
    found = regions_by_ids(session, ids)
    return [found[i] for i in ids if i in found]


def all_regions(session: Session) -> list[Region]:
    """Every region, parents before children (by level, then code)."""
    regions = list(session.scalars(select(Region)))
    regions.sort(key=lambda r: (RegionLevel(r.level).rank, r.code))
    return regions


def count_regions_by_level(session: Session) -> dict[str, int]:
    """How many regions each level holds."""
    rows = session.execute(select(Region.level, func.count()).group_by(Region.level))
    return {level: int(n) for level, n in rows}


def grid_rows(session: Session) -> list[tuple[int, str, str, str, str]]:
    """(id, code, name, path, boundary) of every grid that has a boundary, by code: what the
    map draws and the locate index holds."""
    stmt = (
        select(Region.id, Region.code, Region.name, Region.path, Region.boundary)
        .where(Region.level == RegionLevel.GRID.value, Region.boundary.is_not(None))
        .order_by(Region.code)
    )
    return [
        (rid, code, name, path, str(boundary))
        for rid, code, name, path, boundary in session.execute(stmt)
    ]


def grid_fingerprint(session: Session) -> tuple[object, ...]:
    """A cheap summary of the grids' identity and geometry; it changes whenever a grid is
    added, removed or gets another boundary (the boundary moves its centroid or its area).
    The locate index is rebuilt when it changes, in any process."""
    stmt = select(
        func.count(Region.id),
        func.max(Region.id),
        func.sum(Region.id),
        func.sum(Region.centroid_lon),
        func.sum(Region.centroid_lat),
        func.sum(Region.area_m2),
    ).where(Region.level == RegionLevel.GRID.value, Region.boundary.is_not(None))
    row = session.execute(stmt).one()
    return tuple(round(float(v), 9) if isinstance(v, float) else v for v in row)


# --- departments and utilities ------------------------------------------------------------


def find_department_by_code(session: Session, code: str) -> Department | None:
    return session.scalars(select(Department).where(Department.code == code)).one_or_none()


def get_department_by_code(session: Session, code: str) -> Department:
    department = find_department_by_code(session, code)
    if department is None:
        raise NotFound(f"部门编码“{code}”不存在")
    return department


def find_department(session: Session, department_id: int) -> Department | None:
    """The department with this id, or None."""
    return session.get(Department, department_id)


def find_utility(session: Session, utility_id: int) -> Utility | None:
    """The utility with this id, or None."""
    return session.get(Utility, utility_id)


def list_departments(session: Session) -> Sequence[Department]:
    """Every department, by code."""
    return session.scalars(select(Department).order_by(Department.code)).all()


def find_utility_by_code(session: Session, code: str) -> Utility | None:
    return session.scalars(select(Utility).where(Utility.code == code)).one_or_none()


def get_utility_by_code(session: Session, code: str) -> Utility:
    utility = find_utility_by_code(session, code)
    if utility is None:
        raise NotFound(f"公共服务企业编码“{code}”不存在")
    return utility


def list_utilities(session: Session) -> Sequence[Utility]:
    """Every utility, by code."""
    return session.scalars(select(Utility).order_by(Utility.code)).all()


def service_area_codes(session: Session, utility_ids: Iterable[int]) -> dict[int, list[str]]:
    """The region codes of each utility's service area, keyed by utility id."""
    ids = sorted(set(utility_ids))
    result: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return result
    stmt = (
        select(UtilityServiceArea.utility_id, Region.code)
        .join(Region, Region.id == UtilityServiceArea.region_id)
        .where(UtilityServiceArea.utility_id.in_(ids))
        .order_by(Region.code)
    )
    for utility_id, code in session.execute(stmt):
        result[utility_id].append(code)
    return result


def region_codes(session: Session, region_ids: Iterable[int]) -> dict[int, str]:
    """Codes of the given regions, keyed by id."""
    ids = list(set(region_ids))
    if not ids:
        return {}
    rows = session.execute(select(Region.id, Region.code).where(Region.id.in_(ids)))
    return dict(rows.all())


def utilities_serving(session: Session, region: Region) -> Sequence[Utility]:
    """Utilities whose service area holds the region or one of its ancestors."""
    ids = [*ancestor_ids(region.path), region.id]
    stmt = (
        select(Utility)
        .join(UtilityServiceArea, UtilityServiceArea.utility_id == Utility.id)
        .where(UtilityServiceArea.region_id.in_(ids))
        .order_by(Utility.code)
        .distinct()
    )
    return session.scalars(stmt).all()


def grids_for(session: Session, actor: Actor) -> list[tuple[int, str, str, str | None]]:
    """(id, code, name, boundary GeoJSON text or None) of the grids inside the actor's data
    scope, by code."""
    stmt = (
        select(Region.id, Region.code, Region.name, Region.boundary, Region.path)
        .where(Region.level == RegionLevel.GRID.value)
        .order_by(Region.code)
    )
    return [
        (rid, code, name, boundary)
        for rid, code, name, boundary, path in session.execute(stmt)
        if actor.scope.covers_path(path)
    ]


def grid_heads_for(session: Session, actor: Actor) -> list[tuple[int, str, str, bool]]:
    """(id, code, name, whether it has a boundary) of the grids inside the actor's data scope,
    by code: ``grids_for`` without reading the boundaries."""
    stmt = (
        select(Region.id, Region.code, Region.name, Region.boundary.is_not(None), Region.path)
        .where(Region.level == RegionLevel.GRID.value)
        .order_by(Region.code)
    )
    return [
        (rid, code, name, bool(has_boundary))
        for rid, code, name, has_boundary, path in session.execute(stmt)
        if actor.scope.covers_path(path)
    ]


# --- set-based reads for the assessment (rollups over every appeal, unit lists) --------------


def region_levels(session: Session, levels: Iterable[str]) -> dict[int, str]:
    """The level of every region of the given levels, keyed by id (a city holds tens of
    thousands of grids: ask only for the levels needed)."""
    wanted = sorted(set(levels))
    stmt = select(Region.id, Region.level).where(Region.level.in_(wanted))
    return {int(rid): str(level) for rid, level in session.execute(stmt)}


def regions_at_level(session: Session, level: str) -> list[tuple[int, str, str]]:
    """(id, name, path) of every region of one level, by code."""
    stmt = select(Region.id, Region.name, Region.path).where(Region.level == level)
    return [
        (int(rid), str(name), str(path))
        for rid, name, path in session.execute(stmt.order_by(Region.code))
    ]


def region_parents_select() -> Select[int, str, int | None]:
    """``SELECT id, level, parent_id FROM region`` for joining inside another package's
    set-based statement (the assessment rebuild resolves a street's district with it)."""
    return select(Region.id.label("id"), Region.level.label("level"), Region.parent_id)


def paths_at_level(session: Session, level: str) -> list[str]:
    """The materialised paths of every region of ``level`` (e.g. "district"), sorted."""
    return sorted(session.scalars(select(Region.path).where(Region.level == level)))
