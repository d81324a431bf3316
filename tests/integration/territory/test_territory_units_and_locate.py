"""Departments, utilities and service areas, a whole spec at once, and locate() on the database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import GLOBAL_SCOPE
from civicgrid.demo.city import build_territory_spec
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.territory import queries, service
from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.locate import LocateCache, locate
from civicgrid.territory.models import Department, Region
from civicgrid.territory.schemas import (
    DepartmentCreate,
    TerritorySpec,
    UtilityCreate,
    UtilityService,
)

ADMIN = Actor.system("test-admin")
LEADER = Actor(
    user_id=None,
    username="leader",
    display_name="领导",
    roles=frozenset({Role.LEADER}),
    scope=GLOBAL_SCOPE,
)


@pytest.fixture
def tiny(session: Session, now: datetime) -> TerritorySpec:
    spec = build_territory_spec(42, "tiny")
    service.create_from_spec(session, spec=spec, actor=ADMIN, now=now)
    return spec


def codes_at(spec: TerritorySpec, level: str) -> list[str]:
    return [
        f["properties"]["code"]
        for f in spec.features["features"]
        if f["properties"]["level"] == level
    ]


def test_a_spec_creates_regions_departments_utilities_and_service_areas(
    session: Session, tiny: TerritorySpec
) -> None:
    counts = queries.count_regions_by_level(session)
    assert counts == {"city": 1, "district": 1, "street": 2, "community": 4, "grid": 8}
    assert len(queries.list_departments(session)) == len(tiny.departments) == 14
    utilities = queries.list_utilities(session)
    assert len(utilities) == len(tiny.utilities)
    areas = queries.service_area_codes(session, [u.id for u in utilities])
    by_code = {u.code: areas[u.id] for u in utilities}
    for created in tiny.utilities:
        assert by_code[created.code] == sorted(created.service_area_codes)


def test_a_spec_with_a_bad_department_leaves_nothing_behind(
    session: Session, now: datetime
) -> None:
    spec = build_territory_spec(42, "tiny")
    broken = TerritorySpec(
        features=spec.features,
        departments=(
            *spec.departments,
            DepartmentCreate(code="ghost", name="幽灵局", region_code="139999000000"),
        ),
        utilities=spec.utilities,
    )
    with pytest.raises(Invalid, match="139999000000"):
        service.create_from_spec(session, spec=broken, actor=ADMIN, now=now)
    assert session.scalar(select(func.count(Region.id))) == 0
    assert session.scalar(select(func.count(Department.id))) == 0


def test_a_department_is_created_for_a_stored_region_and_audited(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    district = codes_at(tiny, "district")[0]
    department = service.create_department(
        session,
        data=DepartmentCreate(code="x-cgw", name="测试城管委", region_code=district),
        actor=ADMIN,
        now=now,
    )
    assert department.region_id == queries.get_region_by_code(session, district).id
    entries = audit.list_entries(session, subject_type="department", subject_id=department.id)
    assert [e.action for e in entries] == ["department.create"]


def test_a_taken_department_code_is_a_conflict(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    taken = tiny.departments[0]
    with pytest.raises(Conflict, match=taken.code):
        service.create_department(session, data=taken, actor=ADMIN, now=now)


def test_a_department_needs_an_existing_region(session: Session, now: datetime) -> None:
    data = DepartmentCreate(code="x", name="测试局", region_code="110105000000")
    with pytest.raises(Invalid, match="110105000000"):
        service.create_department(session, data=data, actor=ADMIN, now=now)


def test_only_admins_create_departments_and_utilities(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    district = codes_at(tiny, "district")[0]
    with pytest.raises(Forbidden):
        service.create_department(
            session,
            data=DepartmentCreate(code="x", name="测试局", region_code=district),
            actor=LEADER,
            now=now,
        )
    with pytest.raises(Forbidden):
        service.create_utility(
            session,
            data=UtilityCreate(code="u", name="测试水务", service=UtilityService.WATER),
            actor=LEADER,
            now=now,
        )


def test_a_utility_with_an_unknown_region_in_its_area_is_refused(
    session: Session, now: datetime
) -> None:
    data = UtilityCreate(
        code="u", name="测试水务", service=UtilityService.WATER, service_area_codes=["1"]
    )
    with pytest.raises(Invalid, match="不存在的区域编码：1"):
        service.create_utility(session, data=data, actor=ADMIN, now=now)


def test_a_taken_utility_code_is_a_conflict(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    with pytest.raises(Conflict):
        service.create_utility(session, data=tiny.utilities[0], actor=ADMIN, now=now)


def test_the_service_area_of_a_utility_is_replaced_and_audited(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    streets = codes_at(tiny, "street")
    gas = next(u for u in tiny.utilities if u.service is UtilityService.GAS)
    utility = service.set_utility_service_area(
        session, utility_code=gas.code, region_codes=streets, actor=ADMIN, now=now
    )
    assert queries.service_area_codes(session, [utility.id])[utility.id] == sorted(streets)
    [entry] = audit.list_entries(session, action="utility.set_service_area")
    assert entry.detail == {"before": sorted(gas.service_area_codes), "after": streets}


def test_setting_the_area_of_an_unknown_utility_is_not_found(
    session: Session, now: datetime
) -> None:
    with pytest.raises(NotFound):
        service.set_utility_service_area(
            session, utility_code="nobody", region_codes=[], actor=ADMIN, now=now
        )


def test_utilities_serving_a_grid_include_those_of_its_ancestors(
    session: Session, tiny: TerritorySpec
) -> None:
    grid = queries.get_region_by_code(session, codes_at(tiny, "grid")[0])
    serving = {u.service for u in queries.utilities_serving(session, grid)}
    assert serving == set(UtilityService)


def test_locate_returns_the_grid_and_its_ancestors(session: Session, tiny: TerritorySpec) -> None:
    grid = queries.get_region_by_code(session, codes_at(tiny, "grid")[0])
    assert grid.centroid_lon is not None
    assert grid.centroid_lat is not None
    found = locate(session, grid.centroid_lon, grid.centroid_lat, cache=LocateCache())
    assert found is not None
    assert found.grid.code == grid.code
    assert [a.level for a in found.ancestors] == [
        RegionLevel.CITY,
        RegionLevel.DISTRICT,
        RegionLevel.STREET,
        RegionLevel.COMMUNITY,
    ]
    assert found.ancestors[-1].code == grid.code[:12]


def test_locate_outside_the_territory_finds_nothing(session: Session, tiny: TerritorySpec) -> None:
    assert locate(session, 100.0, 30.0, cache=LocateCache()) is None


def test_locate_on_an_empty_territory_finds_nothing(session: Session) -> None:
    assert locate(session, 114.5, 38.04, cache=LocateCache()) is None


def _new_grid_collection() -> dict[str, object]:
    """A district with one street, community and grid around (114.0, 38.0)."""
    grid = {
        "type": "Feature",
        "properties": {
            "code": "139903001001001",
            "name": "新网格",
            "level": "grid",
            "parent_code": "139903001001",
        },
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [113.99, 37.99],
                    [114.01, 37.99],
                    [114.01, 38.01],
                    [113.99, 38.01],
                    [113.99, 37.99],
                ]
            ],
        },
    }
    parents = [
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        }
        for code, name, level, parent in [
            ("139903000000", "新区", "district", "139900000000"),
            ("139903001000", "新街道", "street", "139903000000"),
            ("139903001001", "新社区", "community", "139903001000"),
        ]
    ]
    return {"type": "FeatureCollection", "features": [*parents, grid]}


def test_the_locate_cache_sees_a_territory_change_after_its_check_interval(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    ticks = [100.0]
    cache = LocateCache(check_seconds=1.0, monotonic=lambda: ticks[0])
    first = cache.index(session)
    assert cache.index(session) is first
    assert (cache.builds, cache.checks) == (1, 1)
    point = (114.0, 38.0)
    assert locate(session, *point, cache=cache) is None

    service.import_geojson(session, collection=_new_grid_collection(), actor=ADMIN, now=now)
    ticks[0] += 0.5  # within the interval: the grids are not checked again
    assert locate(session, *point, cache=cache) is None
    assert (cache.builds, cache.checks) == (1, 1)

    ticks[0] += 0.5
    found = locate(session, *point, cache=cache)
    assert (cache.builds, cache.checks) == (2, 2)
    assert found is not None
    assert found.grid.code == "139903001001001"
    assert [a.name for a in found.ancestors][1:] == ["新区", "新街道", "新社区"]
    grid_id = found.grid.region_id
    located = cache.index(session).locate_grid(*point)
    assert located == (grid_id, queries.region_paths(session, [grid_id])[grid_id])


def test_an_unchanged_territory_is_checked_but_not_rebuilt(
    session: Session, tiny: TerritorySpec
) -> None:
    ticks = [0.0]
    cache = LocateCache(check_seconds=1.0, monotonic=lambda: ticks[0])
    first = cache.index(session)
    ticks[0] += 5.0
    assert cache.index(session) is first
    assert (cache.builds, cache.checks) == (1, 2)


def test_an_import_in_this_process_invalidates_the_shared_locate_cache_on_commit(
    session: Session, now: datetime, tiny: TerritorySpec
) -> None:
    point = (114.0, 38.0)
    assert locate(session, *point) is None  # the process-wide cache now holds this territory
    service.import_geojson(session, collection=_new_grid_collection(), actor=ADMIN, now=now)
    found = locate(session, *point)
    assert found is not None
    assert found.grid.code == "139903001001001"
