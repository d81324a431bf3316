"""Importing regions from GeoJSON: all or nothing, every problem named with its feature index."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicgrid.audit import service as audit
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.auth.scope import DataScope
from civicgrid.errors import Forbidden, Invalid
from civicgrid.territory import geometry, queries, service
from civicgrid.territory.models import Region

ADMIN = Actor.system("test-admin")
CITY, DISTRICT, STREET = "110000000000", "110105000000", "110105001000"
COMMUNITY, COMMUNITY_2 = "110105001001", "110105001002"


def rect(w: float, s: float, e: float, n: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def feature(
    code: str, name: str, level: str, parent: str | None, geom: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent},
        "geometry": geom,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def base_features() -> list[dict[str, Any]]:
    """City → district → street → two communities (side by side) → two grids in the first."""
    return [
        feature(CITY, "北京市", "city", None, rect(116.0, 39.0, 117.0, 40.0)),
        feature(DISTRICT, "朝阳区", "district", CITY, rect(116.4, 39.8, 116.6, 40.0)),
        feature(STREET, "建外街道", "street", DISTRICT, rect(116.4, 39.9, 116.5, 39.95)),
        feature(COMMUNITY, "建国里社区", "community", STREET, rect(116.4, 39.9, 116.45, 39.95)),
        feature(COMMUNITY_2, "永安里社区", "community", STREET, rect(116.45, 39.9, 116.5, 39.95)),
        feature(
            f"{COMMUNITY}001", "建国里第一网格", "grid", COMMUNITY, rect(116.4, 39.9, 116.42, 39.95)
        ),
        feature(
            f"{COMMUNITY}002",
            "建国里第二网格",
            "grid",
            COMMUNITY,
            rect(116.42, 39.9, 116.45, 39.95),
        ),
    ]


def region_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Region.id))) or 0)


def problems_of(exc: Invalid) -> list[tuple[int, str]]:
    assert isinstance(exc.detail, list)
    return [(p["index"], p["reason"]) for p in exc.detail]


def test_an_import_creates_the_tree_with_paths_centroids_and_areas(
    session: Session, now: datetime
) -> None:
    summary = service.import_geojson(
        session, collection=collection(*base_features()), actor=ADMIN, now=now
    )
    assert summary.created == 7
    assert summary.by_level == {"city": 1, "district": 1, "street": 1, "community": 2, "grid": 2}
    grid = queries.get_region_by_code(session, f"{COMMUNITY}001")
    chain = queries.ancestors(session, grid)
    assert [r.code for r in chain] == [CITY, DISTRICT, STREET, COMMUNITY]
    assert grid.path == "".join(f"/{r.id}" for r in chain) + f"/{grid.id}/"
    assert grid.centroid_lon == pytest.approx(116.41)
    assert grid.centroid_lat == pytest.approx(39.925)
    assert grid.area_m2 == pytest.approx(0.02 * 0.05 * 85_390 * 111_195, rel=0.01)
    assert grid.created_at == now
    assert [c.code for c in queries.children(session, chain[-1].id)] == [
        f"{COMMUNITY}001",
        f"{COMMUNITY}002",
    ]


def test_an_import_writes_one_audit_row_with_the_counts(session: Session, now: datetime) -> None:
    service.import_geojson(session, collection=collection(*base_features()), actor=ADMIN, now=now)
    entries = audit.list_entries(session, action="territory.import")
    assert len(entries) == 1
    assert entries[0].detail["created"] == 7
    assert entries[0].actor_label == ADMIN.label


def test_a_later_import_hangs_new_regions_under_stored_parents(
    session: Session, now: datetime
) -> None:
    service.import_geojson(session, collection=collection(*base_features()), actor=ADMIN, now=now)
    grid = feature(
        f"{COMMUNITY_2}001", "永安里第一网格", "grid", COMMUNITY_2, rect(116.45, 39.9, 116.5, 39.95)
    )
    service.import_geojson(session, collection=collection(grid), actor=ADMIN, now=now)
    stored = queries.get_region_by_code(session, f"{COMMUNITY_2}001")
    parent = queries.get_region_by_code(session, COMMUNITY_2)
    assert stored.parent_id == parent.id
    assert stored.path == f"{parent.path}{stored.id}/"


def test_a_parent_may_come_after_its_children_in_the_file(session: Session, now: datetime) -> None:
    features = list(reversed(base_features()))
    summary = service.import_geojson(
        session, collection=collection(*features), actor=ADMIN, now=now
    )
    assert summary.created == 7
    assert queries.get_region_by_code(session, CITY).path.count("/") == 2


def test_upper_levels_without_geometry_get_the_union_of_their_children(
    session: Session, now: datetime
) -> None:
    features = base_features()
    features[3]["geometry"] = None  # the first community
    features[2]["geometry"] = None  # the street: union of both communities
    summary = service.import_geojson(
        session, collection=collection(*features), actor=ADMIN, now=now
    )
    assert summary.derived_boundaries == 2
    community = queries.get_region_by_code(session, COMMUNITY)
    street = queries.get_region_by_code(session, STREET)
    assert community.boundary is not None
    assert street.boundary is not None
    assert geometry.from_geojson_text(community.boundary).equals(
        geometry.parse_boundary(rect(116.4, 39.9, 116.45, 39.95))
    )
    assert geometry.from_geojson_text(street.boundary).equals(
        geometry.parse_boundary(rect(116.4, 39.9, 116.5, 39.95))
    )


def test_an_upper_level_without_geometry_or_children_stays_without_boundary(
    session: Session, now: datetime
) -> None:
    features = base_features()[:5]
    features[4]["geometry"] = None
    service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    assert queries.get_region_by_code(session, COMMUNITY_2).boundary is None


def test_a_grid_without_geometry_is_refused(session: Session, now: datetime) -> None:
    features = base_features()
    features[6]["geometry"] = None
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    assert problems_of(info.value) == [(6, "网格必须有边界（geometry 为 Polygon 或 MultiPolygon）")]
    assert "features[6]" in info.value.message


def test_a_self_intersecting_polygon_is_refused_with_its_feature_index(
    session: Session, now: datetime
) -> None:
    features = base_features()
    features[5]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[116.4, 39.9], [116.42, 39.95], [116.42, 39.9], [116.4, 39.95], [116.4, 39.9]]
        ],
    }
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    [(index, reason)] = problems_of(info.value)
    assert index == 5
    assert "自相交" in reason
    assert f"features[5]（编码 {COMMUNITY}001）：多边形自相交" in info.value.message


def test_overlapping_grids_of_one_community_are_refused(session: Session, now: datetime) -> None:
    features = base_features()
    features[6]["geometry"] = rect(116.41, 39.9, 116.45, 39.95)
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    [(index, reason)] = problems_of(info.value)
    assert index == 6
    assert "features[5]" in reason
    assert "重叠" in reason


def test_a_new_grid_overlapping_a_stored_sibling_is_refused(
    session: Session, now: datetime
) -> None:
    service.import_geojson(session, collection=collection(*base_features()), actor=ADMIN, now=now)
    grid = feature(
        f"{COMMUNITY}003", "建国里第三网格", "grid", COMMUNITY, rect(116.44, 39.9, 116.45, 39.95)
    )
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(grid), actor=ADMIN, now=now)
    [(index, reason)] = problems_of(info.value)
    assert index == 0
    assert f"已有区域“{COMMUNITY}002”" in reason


def test_a_grid_outside_its_community_is_refused(session: Session, now: datetime) -> None:
    features = base_features()
    features[6]["geometry"] = rect(116.42, 39.9, 116.47, 39.95)
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    [(index, reason)] = problems_of(info.value)
    assert index == 6
    assert f"超出上级区域“{COMMUNITY}”" in reason


def test_an_unknown_parent_is_refused(session: Session, now: datetime) -> None:
    features = base_features()
    features[2]["properties"]["parent_code"] = "110106000000"
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    assert (2, "上级区域“110106000000”不存在（文件中和数据库中都没有）") in problems_of(info.value)


def test_a_duplicate_code_in_the_file_is_refused(session: Session, now: datetime) -> None:
    features = base_features()
    twin = copy.deepcopy(features[6])
    features.append(twin)
    with pytest.raises(Invalid) as info:
        service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    assert (7, "编码与 features[6] 重复") in problems_of(info.value)


def test_a_code_already_in_the_database_is_refused(session: Session, now: datetime) -> None:
    service.import_geojson(session, collection=collection(*base_features()), actor=ADMIN, now=now)
    with pytest.raises(Invalid) as info:
        service.import_geojson(
            session, collection=collection(base_features()[5]), actor=ADMIN, now=now
        )
    [(index, reason)] = problems_of(info.value)
    assert index == 0
    assert "已存在于数据库" in reason


def test_every_problem_is_reported_and_nothing_is_written(session: Session, now: datetime) -> None:
    features = base_features()
    features[1]["properties"]["level"] = "province"
    features[3]["properties"]["code"] = "11010500100X"
    features[4]["properties"]["name"] = ""
    features[6]["geometry"] = {"type": "Point", "coordinates": [116.43, 39.92]}
    features.append({"type": "Feature", "properties": None, "geometry": None})
    payload: list[object] = [*features, "not a feature"]
    before = region_count(session)
    with pytest.raises(Invalid) as info:
        service.import_geojson(
            session,
            collection={"type": "FeatureCollection", "features": payload},
            actor=ADMIN,
            now=now,
        )
    indexes = [index for index, _ in problems_of(info.value)]
    # features[2] hangs under the refused district and is not blamed for it; features[5]
    # names a parent code that the file no longer holds.
    assert indexes == [1, 3, 4, 5, 6, 7, 8]
    assert region_count(session) == before
    assert audit.list_entries(session, action="territory.import") == []


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"type": "Feature"},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": []},
    ],
)
def test_anything_but_a_non_empty_feature_collection_is_refused(
    session: Session, now: datetime, payload: object
) -> None:
    with pytest.raises(Invalid, match="FeatureCollection"):
        service.import_geojson(session, collection=payload, actor=ADMIN, now=now)


def test_only_admins_may_import(session: Session, now: datetime) -> None:
    clerk = Actor(
        user_id=None,
        username="clerk",
        display_name="派单员",
        roles=frozenset({Role.DISPATCHER}),
        scope=DataScope(is_global=True),
    )
    before = region_count(session)
    with pytest.raises(Forbidden):
        service.import_geojson(
            session, collection=collection(*base_features()), actor=clerk, now=now
        )
    assert region_count(session) == before


def test_export_gives_back_what_was_imported(session: Session, now: datetime) -> None:
    features = base_features()
    service.import_geojson(session, collection=collection(*features), actor=ADMIN, now=now)
    exported = service.export_geojson(session)
    assert exported["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in exported["features"]}
    assert [f["properties"]["level"] for f in exported["features"]] == [
        "city",
        "district",
        "street",
        "community",
        "community",
        "grid",
        "grid",
    ]
    for original in features:
        code = original["properties"]["code"]
        assert by_code[code]["properties"] == original["properties"]
        assert geometry.parse_boundary(by_code[code]["geometry"]).equals(
            geometry.parse_boundary(original["geometry"])
        )
