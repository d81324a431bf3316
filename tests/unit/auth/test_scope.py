"""Data scope: a post at region X sees X and its descendants only; merging posts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from civicgrid.auth.scope import (
    EMPTY_SCOPE,
    GLOBAL_SCOPE,
    DataScope,
    merge_scopes,
    minimal_prefixes,
)

DISTRICT = "/1/2/"
STREET = "/1/2/5/"
COMMUNITY = "/1/2/5/9/"
OTHER_DISTRICT = "/1/3/"
# Id 21 starts with "2" but is not a child of region 2: paths end in "/" so prefixes are exact.
LOOKALIKE = "/1/21/"


def test_region_scope_covers_itself_and_descendants() -> None:
    scope = DataScope(region_paths=frozenset({STREET}))
    assert scope.covers_path(STREET)
    assert scope.covers_path(COMMUNITY)
    assert scope.covers_path(COMMUNITY + "14/")


def test_region_scope_excludes_ancestors_and_siblings() -> None:
    scope = DataScope(region_paths=frozenset({DISTRICT}))
    assert not scope.covers_path("/1/")
    assert not scope.covers_path(OTHER_DISTRICT)
    assert not scope.covers_path(LOOKALIKE)


def test_global_scope_covers_everything() -> None:
    assert GLOBAL_SCOPE.covers_path(COMMUNITY)
    assert GLOBAL_SCOPE.covers_department(7)
    assert GLOBAL_SCOPE.covers_utility(3)
    assert not GLOBAL_SCOPE.is_empty


def test_empty_scope_covers_nothing() -> None:
    assert EMPTY_SCOPE.is_empty
    assert not EMPTY_SCOPE.covers_path("/1/")
    assert not EMPTY_SCOPE.covers_department(1)
    assert not EMPTY_SCOPE.covers_utility(1)


def test_department_and_utility_scopes_cover_only_their_unit() -> None:
    scope = DataScope(department_ids=frozenset({4}), utility_ids=frozenset({8}))
    assert scope.covers_department(4)
    assert not scope.covers_department(5)
    assert scope.covers_utility(8)
    assert not scope.covers_utility(4)
    assert not scope.covers_path("/1/")


def test_minimal_prefixes_drops_nested_paths() -> None:
    assert minimal_prefixes([COMMUNITY, STREET, OTHER_DISTRICT, STREET]) == (
        STREET,
        OTHER_DISTRICT,
    )
    assert minimal_prefixes([DISTRICT, LOOKALIKE]) == (DISTRICT, LOOKALIKE)


def test_merge_unions_regions_departments_and_utilities() -> None:
    merged = merge_scopes(
        [
            DataScope(region_paths=frozenset({COMMUNITY})),
            DataScope(region_paths=frozenset({STREET})),
            DataScope(department_ids=frozenset({4})),
            DataScope(utility_ids=frozenset({8})),
        ]
    )
    assert merged.region_paths == frozenset({STREET})
    assert merged.department_ids == frozenset({4})
    assert merged.utility_ids == frozenset({8})
    assert not merged.is_global


def test_merge_with_a_global_post_is_global() -> None:
    assert merge_scopes([DataScope(region_paths=frozenset({STREET})), GLOBAL_SCOPE]).is_global


def test_merge_of_nothing_is_empty() -> None:
    assert merge_scopes([]).is_empty


_ids = st.integers(min_value=1, max_value=40)
_paths = st.lists(_ids, min_size=1, max_size=5).map(lambda ids: "/" + "/".join(map(str, ids)) + "/")
_scopes = st.builds(
    DataScope,
    region_paths=st.frozensets(_paths, max_size=4),
    department_ids=st.frozensets(_ids, max_size=3),
    utility_ids=st.frozensets(_ids, max_size=3),
)


@given(scopes=st.lists(_scopes, max_size=4), path=_paths, unit=_ids)
def test_merged_scope_covers_exactly_what_some_part_covers(
    scopes: list[DataScope], path: str, unit: int
) -> None:
    merged = merge_scopes(scopes)
    assert merged.covers_path(path) == any(s.covers_path(path) for s in scopes)
    assert merged.covers_department(unit) == any(s.covers_department(unit) for s in scopes)
    assert merged.covers_utility(unit) == any(s.covers_utility(unit) for s in scopes)


@given(paths=st.frozensets(_paths, max_size=6), path=_paths)
def test_minimal_prefixes_keep_the_same_coverage(paths: frozenset[str], path: str) -> None:
    full = DataScope(region_paths=paths)
    compact = DataScope(region_paths=frozenset(full.minimal_paths()))
    assert full.covers_path(path) == compact.covers_path(path)
