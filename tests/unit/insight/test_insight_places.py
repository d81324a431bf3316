"""Place extraction from appeal text: districts, cities and named places."""

from __future__ import annotations

import pytest

from civicgrid.insight import places


@pytest.mark.parametrize(
    ("text", "areas"),
    [
        ("A市A2区丽发新城附近搅拌站噪音扰民", {"A2区"}),
        ("A7县星沙街道凉塘路旧城改造", {"A7县"}),
        ("北京市朝阳区建国里社区停水", {"朝阳区"}),
        ("A市经开区泉星公园项目规划", {"经开区"}),
        ("小区门口垃圾无人清运", set()),
        ("A市某某小区物业乱收费", set()),
        ("老城区的路灯不亮", set()),
        # A code right after an estate's name is a zone of the estate, not a district.
        ("A1区鑫苑A1区鑫家楼盘严重质价不符", {"A1区"}),
        ("A5区鑫苑A1区地下车库积水", {"A5区"}),
        ("A市北辰三角洲奥城E4区1栋被改建成群租房", set()),
        ("顺天北国风光小区A1区漏水", set()),
        # ... but not after a bare 小区 or a verb ending in 城.
        ("我们小区A3区停水", {"A3区"}),
        ("一定要走到城K4县", {"K4县"}),
    ],
)
def test_areas_are_districts_and_counties_only(text: str, areas: set[str]) -> None:
    assert places.areas_in(text) == areas


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("座落在A市A3区联丰路米兰春天G2栋", {"联丰路"}),
        ("投诉A2区丽发新城附近建搅拌站噪音扰民", {"丽发新城"}),
        ("A5区万家园新城光纤入户难", {"万家园新城"}),
        ("A7县春华镇石塘铺村有人开麻将馆", {"春华镇", "石塘铺村"}),
        ("A市A2区向家坡小学何时能建成", {"向家坡小学"}),
        ("另外马路市场脏乱", set()),
        ("家门口的道路坑洼", set()),
        ("咨询公交409线路问题", set()),
    ],
)
def test_named_places_lose_the_words_in_front_of_them(text: str, named: set[str]) -> None:
    assert places.named_places_in(text) == named


@pytest.mark.parametrize(
    "texts",
    [
        [
            "A市A2区丽发新城噪音",
            "A2区",
            "北京市朝阳区望京",
            "A市",
            "",
            "B市经开区A3区A4区市A5区",
            "xA1区 A市A1区",
            "西地省A市A7区",
        ],
        ["A市A2区丽发新城\x00噪音", "A3区"],  # a text holding the joining character
        [],
    ],
)
def test_stripping_many_texts_at_once_equals_one_at_a_time(texts: list[str]) -> None:
    assert places.strip_admin_many(texts) == [places.strip_admin(t) for t in texts]


def test_strip_admin_removes_city_and_district_names_only() -> None:
    assert places.strip_admin("A市A2区丽发新城噪音").split() == ["丽发新城噪音"]


def test_cities_are_found() -> None:
    assert places.cities_in("A市A2区") == {"A市"}


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        (set(), {"A2区"}, True),
        ({"A2区"}, {"A2区", "A3区"}, True),
        ({"A2区"}, {"A5区"}, False),
        (set(), set(), True),
    ],
)
def test_areas_are_compatible_unless_both_known_and_disjoint(
    a: set[str], b: set[str], ok: bool
) -> None:
    assert places.compatible(a, b) is ok
