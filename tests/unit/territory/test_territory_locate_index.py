"""The locate index without a database: one point at a time, vectorised, edges and holes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from civicgrid.demo.city import build_territory_spec
from civicgrid.territory import geometry
from civicgrid.territory import locate as locate_module
from civicgrid.territory.locate import NOT_FOUND, LocateIndex

# 2 × 2 unit squares: a (west-south), b (east-south), c (west-north), d (east-north).
FOUR_SQUARES = LocateIndex(
    [11, 12, 13, 14],
    ["a", "b", "c", "d"],
    [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)],
)


@pytest.fixture(scope="module")
def four_squares() -> LocateIndex:
    return FOUR_SQUARES


@pytest.fixture(scope="module")
def small_city() -> LocateIndex:
    spec = build_territory_spec(7, "small")
    grids = [f for f in spec.features["features"] if f["properties"]["level"] == "grid"]
    return LocateIndex(
        list(range(1, len(grids) + 1)),
        [f["properties"]["code"] for f in grids],
        [geometry.parse_boundary(f["geometry"]) for f in grids],
    )


def test_a_point_inside_a_grid_is_located(four_squares: LocateIndex) -> None:
    assert four_squares.locate_position(1.5, 0.5) == 1
    assert four_squares.locate_id(0.25, 1.75) == 13


def test_a_point_outside_every_grid_is_not_found(four_squares: LocateIndex) -> None:
    assert four_squares.locate_position(3.0, 3.0) == NOT_FOUND
    assert four_squares.locate_id(-0.5, 0.5) is None


def test_a_point_on_a_shared_edge_belongs_to_the_first_grid(four_squares: LocateIndex) -> None:
    assert four_squares.locate_position(1.0, 0.5) == 0
    assert four_squares.locate_position(1.0, 1.0) == 0
    assert four_squares.locate_position(1.5, 1.0) == 1
    assert list(four_squares.locate_many([1.0, 1.0, 1.5], [0.5, 1.0, 1.0])) == [0, 0, 1]


def test_locate_many_answers_every_point_in_order(four_squares: LocateIndex) -> None:
    lons = [0.5, 1.5, 0.5, 1.5, 5.0, -1.0]
    lats = [0.5, 0.5, 1.5, 1.5, 5.0, 1.0]
    assert list(four_squares.locate_many(lons, lats)) == [0, 1, 2, 3, NOT_FOUND, NOT_FOUND]
    assert list(four_squares.locate_many_ids(lons, lats)) == [11, 12, 13, 14, -1, -1]


def test_locate_many_of_no_points_is_empty(four_squares: LocateIndex) -> None:
    assert four_squares.locate_many([], []).shape == (0,)


def test_locate_many_refuses_arrays_of_different_lengths(four_squares: LocateIndex) -> None:
    with pytest.raises(ValueError, match="equal length"):
        four_squares.locate_many([0.5, 1.5], [0.5])


def test_an_empty_index_finds_nothing() -> None:
    index = LocateIndex([], [], [])
    assert index.locate_position(0.0, 0.0) == NOT_FOUND
    assert list(index.locate_many([0.0], [0.0])) == [NOT_FOUND]


def test_the_constructor_refuses_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="same length"):
        LocateIndex([1], ["a", "b"], [box(0, 0, 1, 1)])


def test_a_hole_is_outside_and_an_island_in_it_is_another_grid() -> None:
    ring = Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    island = MultiPolygon([box(1.25, 1.25, 1.75, 1.75), box(10, 10, 11, 11)])
    index = LocateIndex([1, 2], ["ring", "island"], [ring, island])
    lons = [0.5, 1.1, 1.5, 10.5, 2.5]
    lats = [0.5, 1.1, 1.5, 10.5, 2.5]
    expected = [0, NOT_FOUND, 1, 1, 0]
    assert list(index.locate_many(lons, lats)) == expected
    assert [index.locate_position(x, y) for x, y in zip(lons, lats, strict=True)] == expected


def test_vectorised_and_one_by_one_agree_with_shapely_on_the_small_city(
    small_city: LocateIndex,
) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds(small_city.geoms)
    rng = np.random.default_rng(3)
    lons = rng.uniform(minx - 0.002, maxx + 0.002, 5000)
    lats = rng.uniform(miny - 0.002, maxy + 0.002, 5000)
    many = small_city.locate_many(lons, lats)
    single = [small_city.locate_position(x, y) for x, y in zip(lons, lats, strict=True)]
    assert list(many) == single
    # holds[g, p]: grid g holds point p (brute force over every grid, no index).
    holds = shapely.intersects_xy(small_city.geoms[:, None], lons[None, :], lats[None, :])
    expected = np.where(holds.any(axis=0), holds.argmax(axis=0), NOT_FOUND)
    assert list(many) == list(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-0.5, max_value=2.5, allow_nan=False),
    st.floats(min_value=-0.5, max_value=2.5, allow_nan=False),
)
def test_every_point_gets_the_grid_shapely_says_holds_it(lon: float, lat: float) -> None:
    index = FOUR_SQUARES
    geoms = list(index.geoms)
    holders = [i for i, g in enumerate(geoms) if g.intersects(shapely.Point(lon, lat))]
    expected = min(holders) if holders else NOT_FOUND
    assert index.locate_position(lon, lat) == expected
    assert int(index.locate_many([lon], [lat])[0]) == expected


def test_a_sparse_territory_gets_coarser_cells_and_still_exact_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(locate_module, "MAX_CELLS", 400)
    geoms = [box(0, 0, 0.01, 0.01), box(5, 5, 5.01, 5.01), box(0.01, 0, 0.02, 0.01)]
    index = LocateIndex([1, 2, 3], ["a", "b", "c"], geoms)
    assert index.raster is not None
    assert index.raster.nx * index.raster.ny <= 400
    lons = [0.005, 5.005, 0.015, 2.5, 0.01]
    lats = [0.005, 5.005, 0.005, 2.5, 0.005]
    expected = [0, 1, 2, NOT_FOUND, 0]
    assert list(index.locate_many(lons, lats)) == expected
    assert [index.locate_position(x, y) for x, y in zip(lons, lats, strict=True)] == expected


def test_most_points_of_a_tiled_territory_are_answered_by_the_raster(
    small_city: LocateIndex,
) -> None:
    assert small_city.raster is not None
    labels = small_city.raster.labels
    assert (labels >= 0).mean() > 0.5
