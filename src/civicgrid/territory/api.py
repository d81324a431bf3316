"""JSON API of the territory (/api/v1/territory): locate a point, read a region with its
children and boundary, list departments and utilities, import GeoJSON (admins)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from civicgrid.auth.actor import Actor
from civicgrid.auth.deps import CurrentActor, require_roles
from civicgrid.auth.roles import Role
from civicgrid.deps import DbSession, Now
from civicgrid.errors import NotFound
from civicgrid.territory import locate as locating
from civicgrid.territory import queries, service
from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.locate import RegionSummary
from civicgrid.territory.models import Region
from civicgrid.territory.schemas import (
    DepartmentRead,
    ImportRead,
    LocateRead,
    RegionRead,
    RegionRef,
    UnitChoiceRead,
    UtilityRead,
    UtilityService,
)
from civicgrid.territory.units import search_units

router = APIRouter(prefix="/api/v1/territory", tags=["territory"])

AdminActor = Annotated[Actor, Depends(require_roles(Role.ADMIN))]


def _ref(code: str, name: str, level: str) -> RegionRef:
    lv = RegionLevel(level)
    return RegionRef(code=code, name=name, level=lv, level_label=lv.label)


def _summary_ref(s: RegionSummary) -> RegionRef:
    return _ref(s.code, s.name, s.level.value)


def _region_ref(r: Region) -> RegionRef:
    return _ref(r.code, r.name, r.level)


@router.get("/locate", response_model=LocateRead, summary="定位：经纬度所在的网格及其上级")
def locate_point(
    actor: CurrentActor,
    session: DbSession,
    lon: Annotated[float, Query(ge=-180, le=180, description="经度 (WGS 84)")],
    lat: Annotated[float, Query(ge=-90, le=90, description="纬度 (WGS 84)")],
) -> LocateRead:
    """The grid holding (lon, lat) with the chain of its ancestors, city first; 404 outside
    the territory. Available to every logged-in user."""
    found = locating.locate(session, lon, lat)
    if found is None:
        raise NotFound(f"坐标 ({lon}, {lat}) 不在任何网格内")
    grid = _summary_ref(found.grid)
    return LocateRead(
        lon=lon,
        lat=lat,
        code=grid.code,
        name=grid.name,
        grid=grid,
        ancestors=[_summary_ref(a) for a in found.ancestors],
    )


@router.get("/regions/{code}", response_model=RegionRead, summary="区域详情（含下级与边界）")
def read_region(actor: CurrentActor, session: DbSession, code: str) -> RegionRead:
    """One region with its ancestors, children and GeoJSON boundary; 404 when the code is
    unknown or outside the caller's data scope."""
    region = queries.get_region_for(session, actor, code)
    parents = queries.ancestors(session, region)
    kids = queries.children(session, region.id)
    level = RegionLevel(region.level)
    centroid = (
        [region.centroid_lon, region.centroid_lat]
        if region.centroid_lon is not None and region.centroid_lat is not None
        else None
    )
    boundary: dict[str, Any] | None = json.loads(region.boundary) if region.boundary else None
    return RegionRead(
        code=region.code,
        name=region.name,
        level=level,
        level_label=level.label,
        parent_code=parents[-1].code if parents else None,
        ancestors=[_region_ref(p) for p in parents],
        children=[_region_ref(k) for k in kids],
        centroid=centroid,
        area_m2=region.area_m2,
        boundary=boundary,
    )


@router.get("/departments", response_model=list[DepartmentRead], summary="职能部门列表")
def list_departments(actor: CurrentActor, session: DbSession) -> list[DepartmentRead]:
    """Every department (reference data for dispatching; visible to every logged-in user)."""
    departments = queries.list_departments(session)
    codes = queries.region_codes(session, [d.region_id for d in departments])
    return [
        DepartmentRead(
            code=d.code,
            name=d.name,
            region_code=codes.get(d.region_id, ""),
            duties=d.duties,
            is_active=d.is_active,
        )
        for d in departments
    ]


UnitKind = Literal["region", "department", "utility"]


@router.get(
    "/units/search",
    response_model=list[UnitChoiceRead],
    summary="承办单位搜索：按名称查找可派单的街乡、部门和企业（限本人数据范围）",
)
def search_unit_choices(
    actor: CurrentActor,
    session: DbSession,
    q: Annotated[str, Query(max_length=50, description="名称中的字，空格分隔多个")] = "",
    kind: Annotated[list[UnitKind] | None, Query(description="只找这些类别")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[UnitChoiceRead]:
    """Units by name for the searchable unit pickers (dispatch, co-units, summons)."""
    kinds = tuple(kind) if kind else ("region", "department", "utility")
    return [
        UnitChoiceRead(kind=u.kind, id=u.id, name=u.name, group=u.group, value=u.value)
        for u in search_units(session, actor, q, kinds=kinds, limit=limit)
    ]


@router.get("/utilities", response_model=list[UtilityRead], summary="公共服务企业列表")
def list_utilities(actor: CurrentActor, session: DbSession) -> list[UtilityRead]:
    """Every utility with the region codes of its service area."""
    utilities = queries.list_utilities(session)
    areas = queries.service_area_codes(session, [u.id for u in utilities])
    result: list[UtilityRead] = []
    for u in utilities:
        kind = UtilityService(u.service)
        result.append(
            UtilityRead(
                code=u.code,
                name=u.name,
                service=kind,
                service_label=kind.label,
                hotline=u.hotline,
                is_active=u.is_active,
                service_area_codes=areas.get(u.id, []),
            )
        )
    return result


@router.post(
    "/import",
    response_model=ImportRead,
    status_code=201,
    summary="导入区域（GeoJSON FeatureCollection，全部成功或全部不导入）",
)
def import_regions(
    actor: AdminActor,
    session: DbSession,
    now: Now,
    collection: Annotated[dict[str, Any], Body(description="GeoJSON FeatureCollection")],
) -> ImportRead:
    """Import regions; 422 with every problem (feature index and reason) when anything is
    wrong, in which case nothing is imported. Admins only."""
    summary = service.import_geojson(session, collection=collection, actor=actor, now=now)
    return ImportRead(
        created=summary.created,
        by_level=summary.by_level,
        derived_boundaries=summary.derived_boundaries,
    )
