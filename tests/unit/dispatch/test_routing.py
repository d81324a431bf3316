"""Routing rules (pure): street vs department vs utility, no push-down of department items to
streets, district fallback, manual queue for a missing place or category, and the reasons."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.catalogue import Catalogue, load_default_catalogue
from civicgrid.dispatch.routing import (
    UNKNOWN_PLACE,
    DepartmentOption,
    Place,
    RegionRef,
    RoutingRule,
    UtilityOption,
    department_matches,
    route,
)

CITY = RegionRef(1, "330100000000", "云州市")
DISTRICT = RegionRef(2, "330102000000", "临江区")
OTHER_DISTRICT = RegionRef(9, "330103000000", "云山区")
STREET = RegionRef(3, "330102001000", "东湖街道")

GRID_PLACE = Place(
    source="coordinates",
    confidence=1.0,
    street=STREET,
    district=DISTRICT,
    city=CITY,
    region_id=5,
    region_path="/1/2/3/4/5/",
    detail="东湖第一网格",
)
DISTRICT_ONLY = Place(
    source="address", confidence=0.8, district=DISTRICT, city=CITY, region_id=2, region_path="/1/2/"
)

DEPARTMENTS = [
    DepartmentOption(11, "330102-cgw", "临江区城管委", DISTRICT.id),
    DepartmentOption(12, "330102-scjg", "临江区市场监管局", DISTRICT.id),
    DepartmentOption(13, "330102-gaj", "云州市公安局临江分局", DISTRICT.id),
    DepartmentOption(21, "330103-scjg", "云山区市场监管局", OTHER_DISTRICT.id),
    DepartmentOption(31, "330100-wjw", "云州市卫健委", CITY.id),
]
UTILITIES = [
    UtilityOption(41, "yc-gas-1", "云州市燃气集团有限公司", "gas"),
    UtilityOption(42, "yc-water", "云州市自来水集团有限公司", "water"),
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_default_catalogue()


def test_street_item_goes_to_the_street_of_the_place(catalogue: Catalogue) -> None:
    decision = route(catalogue.get("010101"), GRID_PLACE, departments=DEPARTMENTS)
    assert decision.rule is RoutingRule.STREET
    assert (decision.unit_kind, decision.unit_id, decision.unit_name) == ("region", 3, "东湖街道")
    assert decision.confidence == 1.0
    assert "属地" in decision.reason
    assert "东湖街道" in decision.reason
    assert "定位坐标" in decision.reason


def test_department_item_goes_to_the_district_department(catalogue: Catalogue) -> None:
    decision = route(catalogue.get("060101"), GRID_PLACE, departments=DEPARTMENTS)
    assert decision.rule is RoutingRule.DEPARTMENT
    assert (decision.unit_kind, decision.unit_id) == ("department", 12)
    assert "市场监管局" in decision.reason
    assert "不下派基层" in decision.reason


def test_department_of_another_district_is_never_chosen(catalogue: Catalogue) -> None:
    only_other = [d for d in DEPARTMENTS if d.region_id == OTHER_DISTRICT.id]
    decision = route(catalogue.get("060101"), GRID_PLACE, departments=only_other)
    assert decision.unit_id != 21
    assert decision.rule is RoutingRule.DISTRICT_FALLBACK


def test_department_item_is_never_pushed_down_to_the_street(catalogue: Catalogue) -> None:
    # No department of the kind anywhere: the district government takes it, not the street.
    decision = route(catalogue.get("060101"), GRID_PLACE, departments=[])
    assert decision.rule is RoutingRule.DISTRICT_FALLBACK
    assert (decision.unit_kind, decision.unit_id) == ("region", DISTRICT.id)
    assert decision.unit_id != STREET.id
    assert "区政府兜底" in decision.reason
    assert "不下派街乡" in decision.reason
    assert decision.confidence < 0.8


@pytest.mark.parametrize("code", ["060101", "110201", "030101", "050201", "040301"])
def test_no_owned_item_ever_routes_to_a_street(catalogue: Catalogue, code: str) -> None:
    for departments in (DEPARTMENTS, []):
        for utilities in (UTILITIES, []):
            decision = route(
                catalogue.get(code), GRID_PLACE, departments=departments, utilities=utilities
            )
            assert not (decision.unit_kind == "region" and decision.unit_id == STREET.id)


def test_city_department_when_the_district_has_none(catalogue: Catalogue) -> None:
    item = next(i for i in catalogue.leaves() if i.owner_unit == "卫生健康委")
    decision = route(item, GRID_PLACE, departments=DEPARTMENTS)
    assert decision.rule is RoutingRule.DEPARTMENT
    assert decision.unit_id == 31
    assert "市级" in decision.reason
    assert decision.confidence == pytest.approx(0.9)


def test_fallback_kind_takes_enforcement_where_no_bureau_exists(catalogue: Catalogue) -> None:
    # 夜间施工噪声 belongs to 城管执法局; the district only has 城管委.
    decision = route(catalogue.get("030101"), GRID_PLACE, departments=DEPARTMENTS)
    assert decision.rule is RoutingRule.DEPARTMENT
    assert decision.unit_id == 11
    assert "由城市管理委承担" in decision.reason


def test_utility_item_goes_to_the_utility_serving_the_place(catalogue: Catalogue) -> None:
    decision = route(catalogue.get("040301"), GRID_PLACE, utilities=UTILITIES)
    assert decision.rule is RoutingRule.UTILITY
    assert (decision.unit_kind, decision.unit_id) == ("utility", 41)
    assert "服务区域" in decision.reason


def test_utility_item_without_a_serving_company_falls_back_to_the_district(
    catalogue: Catalogue,
) -> None:
    decision = route(catalogue.get("040601"), GRID_PLACE, utilities=UTILITIES)  # drainage
    assert decision.rule is RoutingRule.DISTRICT_FALLBACK
    assert decision.unit_id == DISTRICT.id


def test_missing_place_goes_to_the_manual_queue(catalogue: Catalogue) -> None:
    for code in ("010101", "060101", "040301"):
        decision = route(catalogue.get(code), UNKNOWN_PLACE, departments=DEPARTMENTS)
        assert decision.rule is RoutingRule.MANUAL
        assert not decision.decided
        assert "无法确定诉求发生地" in decision.reason


def test_the_reason_an_address_gave_no_place_is_shown(catalogue: Catalogue) -> None:
    outside = Place(source="none", confidence=0.0, detail="地址位于上海市浦东新区，不在本辖区")
    decision = route(catalogue.get("010101"), outside)
    assert decision.rule is RoutingRule.MANUAL
    assert "上海市浦东新区，不在本辖区" in decision.reason
    assert "无定位" in route(catalogue.get("010101"), UNKNOWN_PLACE).reason


def test_street_item_with_only_a_district_goes_to_the_manual_queue(catalogue: Catalogue) -> None:
    decision = route(catalogue.get("010101"), DISTRICT_ONLY)
    assert decision.rule is RoutingRule.MANUAL
    assert "无法确定街乡" in decision.reason


def test_department_item_with_only_a_district_is_decided(catalogue: Catalogue) -> None:
    decision = route(catalogue.get("060101"), DISTRICT_ONLY, departments=DEPARTMENTS)
    assert decision.unit_id == 12
    assert decision.confidence == pytest.approx(0.8)


def test_no_category_knowledge_base_and_grouping_items_are_manual(catalogue: Catalogue) -> None:
    assert route(None, GRID_PLACE).reason == "未确定诉求类别，请人工派单"
    kb = route(catalogue.get("150101"), GRID_PLACE)
    assert kb.rule is RoutingRule.MANUAL
    assert "知识库" in kb.reason
    group = route(catalogue.get("0102"), GRID_PLACE)
    assert group.rule is RoutingRule.MANUAL
    assert "分组" in group.reason


def test_several_utilities_lower_the_confidence(catalogue: Catalogue) -> None:
    two = [*UTILITIES, UtilityOption(43, "yc-gas-2", "云州华润燃气有限公司", "gas")]
    decision = route(catalogue.get("040301"), GRID_PLACE, utilities=two)
    assert decision.unit_id == 41
    assert decision.confidence == pytest.approx(0.7)


def test_confidence_follows_the_place(catalogue: Catalogue) -> None:
    place = Place(
        source="address",
        confidence=0.85,
        street=STREET,
        district=DISTRICT,
        city=CITY,
        region_id=3,
        region_path="/1/2/3/",
        detail="标准地址“幸福路12号院”",
    )
    decision = route(catalogue.get("010101"), place)
    assert decision.confidence == pytest.approx(0.85)
    assert "地址文本" in decision.reason


@pytest.mark.parametrize(
    ("kind", "code", "name", "expected"),
    [
        ("城市管理委", "330102-cgw", "临江区城管委", True),
        ("市场监管局", "330102-scjg", "临江区市场监管局", True),
        ("市场监管局", "X-1", "朝阳区市场监督管理局", True),
        ("公安分局", "330102-gaj", "云州市公安局临江分局", True),
        ("市场监管局", "330102-cgw", "临江区城管委", False),
        ("住房城乡建设委", "330102-zjw", "临江区住建委", True),
        ("某新设局", "x", "临江区某新设局", True),
    ],
)
def test_department_matching(kind: str, code: str, name: str, expected: bool) -> None:
    assert department_matches(kind, DepartmentOption(1, code, name, 2)) is expected


def test_every_department_kind_of_the_catalogue_matches_a_demo_style_department(
    catalogue: Catalogue,
) -> None:
    # The demo city names departments "<district>城管委" etc.; every kind the shipped catalogue
    # uses must either match one of them or have a fallback kind.
    from civicgrid.dispatch.routing import DEPARTMENT_KINDS

    kinds = {i.owner_unit for i in catalogue.items if i.owner_rule.value == "department"}
    assert kinds <= set(DEPARTMENT_KINDS)
