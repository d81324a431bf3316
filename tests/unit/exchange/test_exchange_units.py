"""Name matching of the 12345 import: 承办单位 to units, 所属区/街道 to districts and streets;
exact, then normalised (spaces, brackets, a street office's 办事处), never a guess."""

from __future__ import annotations

import pytest

from civicgrid.exchange.units import (
    Place,
    PlaceDirectory,
    Unit,
    UnitDirectory,
    match_place,
    match_units,
    normalise,
)

STREET = Unit("region", 3, "建外街道", "/1/2/3/")
DEPT = Unit("department", 1, "朝阳区城管执法局")
WATER = Unit("utility", 1, "北京自来水集团")
TWIN_A = Unit("department", 2, "环保局")
TWIN_B = Unit("department", 3, "环 保 局")
UNITS = UnitDirectory([STREET, DEPT, WATER, TWIN_A, TWIN_B])

PLACES = PlaceDirectory(
    [
        Place(1, "北京市", "city", "/1/"),
        Place(2, "朝阳区", "district", "/1/2/"),
        Place(3, "建外街道", "street", "/1/2/3/"),
        Place(4, "海淀区", "district", "/1/4/"),
        Place(5, "中关村街道", "street", "/1/4/5/"),
        Place(6, "东风街道", "street", "/1/2/6/"),
        Place(7, "东风街道", "street", "/1/4/7/"),
    ]
)


def test_normalise_drops_spaces_brackets_and_the_street_office_suffix() -> None:
    assert normalise(" 建外 街道办事处 ") == "建外街道"
    assert normalise("朝阳区（城管）执法局") == "朝阳区城管执法局"


def test_the_first_unit_leads_unless_another_is_marked_lead() -> None:
    assert match_units(["建外街道", "北京自来水集团"], UNITS).units == [
        ("lead", STREET),
        ("co", WATER),
    ]
    marked = match_units(["北京自来水集团（协办）", "建外街道办事处(主办)"], UNITS)
    assert marked.units == [("lead", STREET), ("co", WATER)]
    assert marked.problems == ()


def test_a_unit_named_twice_is_kept_once() -> None:
    assert match_units(["建外街道", "建外街道办事处"], UNITS).units == [("lead", STREET)]


@pytest.mark.parametrize(
    ("names", "kept", "problem"),
    [
        (["火星办事处", "建外街道"], [], "承办单位“火星办事处”在辖区中找不到"),
        (["建外街道", "火星局"], [("lead", STREET)], "承办单位“火星局”在辖区中找不到"),
        (["环保 局"], [], "承办单位“环保 局”对应多个单位，无法确定"),
    ],
)
def test_unknown_or_ambiguous_units_are_reported_and_an_unknown_lead_keeps_none(
    names: list[str], kept: list[tuple[str, Unit]], problem: str
) -> None:
    matched = match_units(names, UNITS)
    assert matched.units == kept
    assert matched.problems == (problem,)


def test_an_exact_name_wins_over_a_normalised_one() -> None:
    assert match_units(["环保局"], UNITS).units == [("lead", TWIN_A)]


@pytest.mark.parametrize(
    ("district", "street", "place_id"),
    [
        ("朝阳区/建外街道", "", 3),
        ("朝阳区 建外街道", "", 3),
        ("朝阳区建外街道", "", 3),
        ("建外街道", "", 3),
        ("海淀区", "", 4),
        ("海淀区", "中关村街道", 5),
        ("海淀区-东风街道", "", 7),
        ("", "", None),
    ],
)
def test_district_and_street_find_the_most_specific_place(
    district: str, street: str, place_id: int | None
) -> None:
    place, problem = match_place(district, street, PLACES)
    assert problem is None
    assert (place.id if place else None) == place_id


@pytest.mark.parametrize(
    ("district", "problem"),
    [
        ("东风街道", "所属区/街道“东风街道”对应多个区域，无法确定"),
        ("朝阳区/中关村街道", "所属区/街道“朝阳区/中关村街道”在辖区中找不到"),
        ("北京市", "所属区/街道“北京市”在辖区中找不到"),
    ],
)
def test_ambiguous_unknown_or_mismatched_places_are_reported(district: str, problem: str) -> None:
    assert match_place(district, "", PLACES) == (None, problem)
