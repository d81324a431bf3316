"""The demo city generator: deterministic, well-coded, grids tiling their communities."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

import pytest
import shapely

from civicgrid.demo.city import build_territory_spec
from civicgrid.territory import geometry, hierarchy
from civicgrid.territory.levels import RegionLevel
from civicgrid.territory.schemas import TerritorySpec, UtilityService


@pytest.fixture(scope="module")
def small() -> TerritorySpec:
    return build_territory_spec(42, "small")


def features(spec: TerritorySpec) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = spec.features["features"]
    return result


def test_the_same_seed_gives_the_same_territory() -> None:
    a = build_territory_spec(5, "small")
    b = build_territory_spec(5, "small")
    assert json.dumps(a.features) == json.dumps(b.features)
    assert a.departments == b.departments
    assert a.utilities == b.utilities


def test_another_seed_gives_another_territory() -> None:
    a = build_territory_spec(5, "small")
    b = build_territory_spec(6, "small")
    assert json.dumps(a.features) != json.dumps(b.features)


def test_an_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        build_territory_spec(1, "galaxy")


def test_the_small_city_has_one_district_four_streets_sixteen_communities(
    small: TerritorySpec,
) -> None:
    levels = Counter(f["properties"]["level"] for f in features(small))
    assert levels["city"] == 1
    assert levels["district"] == 1
    assert levels["street"] == 4
    assert levels["community"] == 16
    assert 100 <= levels["grid"] <= 140


def test_every_code_follows_the_code_and_parent_rules(small: TerritorySpec) -> None:
    level_of = {f["properties"]["code"]: f["properties"]["level"] for f in features(small)}
    for f in features(small):
        p = f["properties"]
        level = RegionLevel(p["level"])
        assert hierarchy.code_problem(p["code"], level) is None
        parent = p["parent_code"]
        parent_level = RegionLevel(level_of[parent]) if parent else None
        assert (
            hierarchy.parent_problem(
                code=p["code"], level=level, parent_code=parent, parent_level=parent_level
            )
            is None
        )


def test_names_are_chinese_and_unique_per_level(small: TerritorySpec) -> None:
    by_level: dict[str, list[str]] = defaultdict(list)
    for f in features(small):
        by_level[f["properties"]["level"]].append(f["properties"]["name"])
    for names in by_level.values():
        assert len(names) == len(set(names))
    assert all(n.endswith("街道") for n in by_level["street"])
    assert all(n.endswith("社区") for n in by_level["community"])
    assert all(n.endswith("网格") for n in by_level["grid"])


def test_grids_tile_their_community_exactly_without_overlap(small: TerritorySpec) -> None:
    geoms = {
        f["properties"]["code"]: geometry.parse_boundary(f["geometry"]) for f in features(small)
    }
    grids_of: dict[str, list[str]] = defaultdict(list)
    for f in features(small):
        if f["properties"]["level"] == "grid":
            grids_of[f["properties"]["parent_code"]].append(f["properties"]["code"])
    assert len(grids_of) == 16
    for community, grid_codes in grids_of.items():
        parts = [geoms[c] for c in grid_codes]
        assert geometry.overlapping_pairs(parts) == []
        assert all(geometry.is_inside(p, geoms[community]) for p in parts)
        covered = shapely.union_all(parts)
        assert covered.symmetric_difference(geoms[community]).area < 1e-12


def test_the_city_lies_around_its_north_china_centre(small: TerritorySpec) -> None:
    city = next(f for f in features(small) if f["properties"]["level"] == "city")
    lon, lat = geometry.centroid(geometry.parse_boundary(city["geometry"]))
    assert lon == pytest.approx(114.50, abs=0.05)
    assert lat == pytest.approx(38.04, abs=0.05)


def test_the_large_scale_has_more_than_twenty_thousand_grids() -> None:
    spec = build_territory_spec(1, "city")
    grids = sum(1 for f in features(spec) if f["properties"]["level"] == "grid")
    assert grids >= 20_000


def test_departments_cover_the_usual_agencies_in_every_district(small: TerritorySpec) -> None:
    names = [d.name for d in small.departments]
    for label in ("城管委", "住建委", "市场监管局", "生态环境局", "卫健委", "水务局", "公安"):
        assert any(label in n for n in names), label
    districts = {
        f["properties"]["code"] for f in features(small) if f["properties"]["level"] == "district"
    }
    assert {d.region_code for d in small.departments} == districts
    assert len({d.code for d in small.departments}) == len(small.departments)


def test_utilities_supply_every_service_with_known_service_areas(small: TerritorySpec) -> None:
    assert {u.service for u in small.utilities} == set(UtilityService)
    codes = {f["properties"]["code"] for f in features(small)}
    for utility in small.utilities:
        assert utility.service_area_codes
        assert set(utility.service_area_codes) <= codes
    gas = [u for u in small.utilities if u.service is UtilityService.GAS]
    assert len(gas) == 2
    assert not set(gas[0].service_area_codes) & set(gas[1].service_area_codes)
