"""Parsing and validating boundaries, areas, inside-the-parent and overlap tests."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import Point, Polygon, box

from civicgrid.territory import geometry


def square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


def test_a_valid_polygon_is_parsed() -> None:
    geom = geometry.parse_boundary(square(116.0, 39.9))
    assert geom.geom_type == "Polygon"
    assert geom.is_valid


def test_a_multipolygon_is_accepted() -> None:
    geom = geometry.parse_boundary(
        {
            "type": "MultiPolygon",
            "coordinates": [square(116.0, 39.9)["coordinates"], square(116.1, 39.9)["coordinates"]],
        }
    )
    assert geom.geom_type == "MultiPolygon"


def test_a_self_intersecting_polygon_is_refused_with_its_location() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[116.0, 39.9], [116.01, 39.91], [116.01, 39.9], [116.0, 39.91], [116.0, 39.9]]
        ],
    }
    with pytest.raises(geometry.GeometryProblem, match="自相交") as info:
        geometry.parse_boundary(bowtie)
    assert "116.005" in str(info.value)


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ("POLYGON ((0 0, 1 0, 1 1, 0 0))", "不是 GeoJSON 几何对象"),
        ({"type": "Point", "coordinates": [116.0, 39.9]}, "Polygon 或 MultiPolygon"),
        ({"type": "Polygon", "coordinates": "nonsense"}, "坐标格式错误"),
        ({"type": "Polygon", "coordinates": [[[116.0, 39.9], [116.1, 39.9]]]}, "坐标格式错误"),
        ({"type": "Polygon", "coordinates": []}, "为空"),
        (square(39.9, 116.0), "经纬度范围"),
        (square(200.0, 39.9), "经纬度范围"),
    ],
)
def test_unusable_geometries_are_refused_with_a_reason(obj: object, fragment: str) -> None:
    with pytest.raises(geometry.GeometryProblem) as info:
        geometry.parse_boundary(obj)
    assert fragment in str(info.value)


def test_geojson_text_round_trips_with_full_precision() -> None:
    geom = geometry.parse_boundary(square(116.123456789, 39.987654321, 0.0012345))
    text = geometry.to_geojson_text(geom)
    back = geometry.from_geojson_text(text)
    assert back.equals_exact(geom, tolerance=0)
    assert geometry.to_geojson_object(geom)["coordinates"][0][0] == [116.123456789, 39.987654321]


def test_many_boundaries_are_read_at_once() -> None:
    texts = [geometry.to_geojson_text(box(i, 0, i + 1, 1)) for i in range(3)]
    geoms = geometry.many_from_geojson_texts(texts)
    assert [g.bounds for g in geoms] == [(0, 0, 1, 1), (1, 0, 2, 1), (2, 0, 3, 1)]


def test_area_of_a_hundred_metre_square_is_about_ten_thousand_square_metres() -> None:
    lat = 39.9
    dlat = 100 / 111_195.0
    dlon = dlat / 0.76693  # cos(39.9°)
    geom = box(116.0, lat, 116.0 + dlon, lat + dlat)
    assert geometry.area_m2(geom) == pytest.approx(10_000, rel=0.01)


def test_the_centroid_of_a_concave_shape_lies_inside_it() -> None:
    u_shape = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    lon, lat = geometry.centroid(u_shape)
    assert u_shape.contains(Point(lon, lat))


def test_a_child_on_the_parents_edge_is_inside() -> None:
    parent = box(0, 0, 2, 2)
    assert geometry.is_inside(box(0, 0, 1, 1), parent)
    assert geometry.outside_share(box(0, 0, 1, 1), parent) == 0.0


def test_a_child_sticking_out_of_its_parent_is_not_inside() -> None:
    parent = box(0, 0, 2, 2)
    child = box(1.5, 1.5, 2.5, 2.5)
    assert not geometry.is_inside(child, parent)
    assert geometry.outside_share(child, parent) == pytest.approx(0.75)


def test_touching_polygons_do_not_overlap_but_overlapping_ones_do() -> None:
    geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(1.5, 0.5, 2.5, 1.5), box(5, 5, 6, 6)]
    pairs = geometry.overlapping_pairs(geoms)
    assert [(i, j) for i, j, _ in pairs] == [(1, 2)]
    assert pairs[0][2] == pytest.approx(0.25)


def test_fewer_than_two_polygons_never_overlap() -> None:
    assert geometry.overlapping_pairs([box(0, 0, 1, 1)]) == []


def test_the_union_of_a_tiling_is_the_tiled_rectangle() -> None:
    merged = geometry.union([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)])
    assert merged.equals(box(0, 0, 2, 2))


def test_bounds_are_lon_lat_min_max() -> None:
    assert geometry.bounds(box(1, 2, 3, 4)) == (1.0, 2.0, 3.0, 4.0)
