"""Level rules, code rules and path arithmetic of the territory tree."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.territory import hierarchy
from civicgrid.territory.levels import RegionLevel

CITY = RegionLevel.CITY
DISTRICT = RegionLevel.DISTRICT
STREET = RegionLevel.STREET
COMMUNITY = RegionLevel.COMMUNITY
GRID = RegionLevel.GRID


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("110000000000", CITY),
        ("139900000000", CITY),
        ("110105000000", DISTRICT),
        ("110105001000", STREET),
        ("110105101000", STREET),
        ("110105001001", COMMUNITY),
        ("110105001201", COMMUNITY),
        ("110105001001001", GRID),
        ("110105001001999", GRID),
    ],
)
def test_well_formed_codes_are_accepted(code: str, level: RegionLevel) -> None:
    assert hierarchy.code_problem(code, level) is None


@pytest.mark.parametrize(
    ("code", "level", "fragment"),
    [
        ("11010500100", STREET, "12 位"),
        ("1101050010010010", GRID, "15 位"),
        ("110105001001", GRID, "15 位"),
        ("11010500100A", COMMUNITY, "数字"),
        ("１１０１０５００１００１", COMMUNITY, "数字"),
        ("000000000000", CITY, "省级段"),
        ("110105000000", CITY, "第 5–12 位"),
        ("110000000000", DISTRICT, "区县段"),
        ("110105001000", DISTRICT, "第 7–12 位"),
        ("110105000000", STREET, "乡级段"),
        ("110105001001", STREET, "第 10–12 位"),
        ("110105001000", COMMUNITY, "村级段"),
        ("110105001001000", GRID, "序号段"),
    ],
)
def test_malformed_codes_are_refused_with_a_reason(
    code: str, level: RegionLevel, fragment: str
) -> None:
    reason = hierarchy.code_problem(code, level)
    assert reason is not None
    assert fragment in reason


def test_code_length_is_fifteen_for_grids_and_twelve_otherwise() -> None:
    assert hierarchy.code_length(GRID) == 15
    assert {hierarchy.code_length(lv) for lv in (CITY, DISTRICT, STREET, COMMUNITY)} == {12}


def test_split_code_cuts_the_beijing_grid_code_into_its_segments() -> None:
    parts = hierarchy.split_code("110105001002003")
    assert (parts.province, parts.prefecture, parts.county) == ("11", "01", "05")
    assert (parts.township, parts.village, parts.sequence) == ("001", "002", "003")


def test_a_city_has_no_parent() -> None:
    assert (
        hierarchy.parent_problem(
            code="110000000000", level=CITY, parent_code=None, parent_level=None
        )
        is None
    )
    reason = hierarchy.parent_problem(
        code="110000000000", level=CITY, parent_code="100000000000", parent_level=CITY
    )
    assert reason == "市级区域不能有上级区域"


def test_every_level_below_the_city_needs_a_parent() -> None:
    reason = hierarchy.parent_problem(
        code="110105000000", level=DISTRICT, parent_code=None, parent_level=None
    )
    assert reason is not None
    assert "parent_code" in reason


def test_a_grid_must_hang_under_a_community_not_a_street() -> None:
    reason = hierarchy.parent_problem(
        code="110105001001001", level=GRID, parent_code="110105001000", parent_level=STREET
    )
    assert reason is not None
    assert "社区" in reason


def test_districts_of_a_municipality_share_the_province_digits_only() -> None:
    assert hierarchy.shared_prefix_length("110000000000", CITY) == 2
    assert (
        hierarchy.parent_problem(
            code="110105000000", level=DISTRICT, parent_code="110000000000", parent_level=CITY
        )
        is None
    )


def test_districts_of_a_prefecture_city_share_four_digits() -> None:
    assert hierarchy.shared_prefix_length("330100000000", CITY) == 4
    reason = hierarchy.parent_problem(
        code="330203000000", level=DISTRICT, parent_code="330100000000", parent_level=CITY
    )
    assert reason is not None
    assert "前 4 位" in reason


@pytest.mark.parametrize(
    ("code", "level", "parent_code", "parent_level"),
    [
        ("110106001000", STREET, "110105000000", DISTRICT),
        ("110105002001", COMMUNITY, "110105001000", STREET),
        ("110105001002001", GRID, "110105001001", COMMUNITY),
    ],
)
def test_a_code_that_does_not_start_with_its_parents_digits_is_refused(
    code: str, level: RegionLevel, parent_code: str, parent_level: RegionLevel
) -> None:
    reason = hierarchy.parent_problem(
        code=code, level=level, parent_code=parent_code, parent_level=parent_level
    )
    assert reason is not None
    assert parent_code in reason


def test_grid_code_appends_a_three_digit_sequence() -> None:
    assert hierarchy.grid_code("110105001001", 7) == "110105001001007"


@pytest.mark.parametrize("sequence", [0, 1000, -1])
def test_grid_code_refuses_a_sequence_outside_one_to_999(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        hierarchy.grid_code("110105001001", sequence)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("110105001000", "街道"),
        ("110105099000", "街道"),
        ("110105100000", "镇"),
        ("110105250000", "乡"),
        ("110105450000", "政企合一单位"),
        ("110105700000", "其他"),
    ],
)
def test_township_kind_follows_the_national_ranges(code: str, kind: str) -> None:
    assert hierarchy.township_kind(code) == kind


@pytest.mark.parametrize(
    ("code", "kind"),
    [("110105001001", "居委会"), ("110105001250", "村委会"), ("110105001500", "其他")],
)
def test_village_kind_tells_residents_from_villagers_committees(code: str, kind: str) -> None:
    assert hierarchy.village_kind(code) == kind


def test_child_path_appends_the_id_to_the_parents_path() -> None:
    assert hierarchy.child_path(None, 1) == "/1/"
    assert hierarchy.child_path("/1/4/", 17) == "/1/4/17/"


def test_child_path_refuses_a_malformed_parent_path() -> None:
    with pytest.raises(ValueError, match="malformed"):
        hierarchy.child_path("1/4", 17)


def test_path_arithmetic_reads_ids_ancestors_and_depth() -> None:
    assert hierarchy.path_ids("/1/4/17/") == (1, 4, 17)
    assert hierarchy.ancestor_ids("/1/4/17/") == (1, 4)
    assert hierarchy.depth("/1/4/17/") == 3
    assert hierarchy.is_within("/1/4/17/", "/1/4/")
    assert hierarchy.is_within("/1/4/", "/1/4/")
    assert not hierarchy.is_within("/1/41/", "/1/4/")


def test_level_order_key_puts_parents_first() -> None:
    levels = [GRID, CITY, COMMUNITY, DISTRICT, STREET]
    assert sorted(levels, key=hierarchy.level_order_key) == [
        CITY,
        DISTRICT,
        STREET,
        COMMUNITY,
        GRID,
    ]


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=6))
def test_paths_built_step_by_step_read_back_the_same_ids(ids: list[int]) -> None:
    path: str | None = None
    for region_id in ids:
        path = hierarchy.child_path(path, region_id)
    assert path is not None
    assert hierarchy.path_ids(path) == tuple(ids)
    assert hierarchy.depth(path) == len(ids)
    assert hierarchy.ancestor_ids(path) == tuple(ids[:-1])


@given(
    st.sampled_from([DISTRICT, STREET, COMMUNITY, GRID]),
    st.text(alphabet="0123456789", min_size=12, max_size=15),
)
def test_every_child_level_sits_directly_below_its_parent_level(
    level: RegionLevel, code: str
) -> None:
    wrong_parent = CITY if level is not DISTRICT else STREET
    reason = hierarchy.parent_problem(
        code=code, level=level, parent_code="110000000000", parent_level=wrong_parent
    )
    if level.parent is wrong_parent:
        return
    assert reason is not None
    assert "上级必须是" in reason
