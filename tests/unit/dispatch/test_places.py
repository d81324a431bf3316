"""Address parsing against the territory's own names and fuzzy matching to standard addresses."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.divisions import parse_divisions
from civicgrid.dispatch.places import (
    AddressRef,
    RegionIndex,
    RegionName,
    match_address,
    place_from_text,
    short_name,
)

REGIONS = [
    RegionName(1, "330100000000", "云州市", "city", None, "/1/"),
    RegionName(2, "330102000000", "临江区", "district", 1, "/1/2/"),
    RegionName(3, "330103000000", "云山区", "district", 1, "/1/3/"),
    RegionName(4, "330102001000", "东湖街道", "street", 2, "/1/2/4/"),
    RegionName(5, "330102002000", "青桥街道", "street", 2, "/1/2/5/"),
    RegionName(6, "330103001000", "白岭街道", "street", 3, "/1/3/6/"),
    RegionName(7, "330102001001", "枫林社区", "community", 4, "/1/2/4/7/"),
    RegionName(8, "330102002001", "杏苑社区", "community", 5, "/1/2/5/8/"),
    RegionName(9, "330103001001", "枫林社区", "community", 6, "/1/3/6/9/"),
    RegionName(10, "330102001001001", "枫林第一网格", "grid", 7, "/1/2/4/7/10/"),
    RegionName(11, "330102002001001", "杏苑第一网格", "grid", 8, "/1/2/5/8/11/"),
    RegionName(12, "330103001001001", "枫林第一网格", "grid", 9, "/1/3/6/9/12/"),
]
ADDRESSES = [
    AddressRef(101, "幸福路12号院", 10, "/1/2/4/7/10/"),
    AddressRef(102, "幸福路13号院", 11, "/1/2/5/8/11/"),
    AddressRef(103, "锦绣家园", 11, "/1/2/5/8/11/"),
    AddressRef(104, "白岭路8号", 12, "/1/3/6/9/12/"),
]


@pytest.fixture(scope="module")
def index() -> RegionIndex:
    return RegionIndex(REGIONS)


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("东湖街道", "东湖"),
        ("临江区", "临江"),
        ("枫林社区", "枫林"),
        ("北京市", "北京"),
        ("X区", ""),
    ],
)
def test_short_names(name: str, short: str) -> None:
    assert short_name(name) == short


def test_full_chain_picks_the_deepest_region(index: RegionIndex) -> None:
    parsed = index.parse("云州市临江区东湖街道枫林社区幸福路12号院3号楼")
    assert parsed.region is not None
    assert parsed.region.id == 7
    assert parsed.confidence >= 0.9


def test_chain_support_resolves_a_shared_community_name(index: RegionIndex) -> None:
    # Two communities are called 枫林社区; the district named in the text decides.
    parsed = index.parse("云山区枫林社区门口垃圾没人清")
    assert parsed.region is not None
    assert parsed.region.id == 9
    parsed = index.parse("临江区东湖枫林社区")
    assert parsed.region is not None
    assert parsed.region.id == 7


def test_ambiguous_name_alone_lowers_the_confidence(index: RegionIndex) -> None:
    parsed = index.parse("枫林社区门口有人摆摊")
    assert parsed.region is not None
    assert parsed.region.level == "community"
    clear = index.parse("杏苑社区门口有人摆摊")
    assert clear.region is not None
    assert parsed.confidence < clear.confidence


def test_short_names_and_full_width_text(index: RegionIndex) -> None:
    parsed = index.parse("青桥　杏苑小区１２号楼")
    assert parsed.region is not None
    assert parsed.region.id == 8


def test_fuzzy_match_tolerates_one_wrong_character(index: RegionIndex) -> None:
    parsed = index.parse("家住东湖街到附近")  # 道 typed as 到
    assert parsed.region is not None
    assert parsed.region.id == 4


def test_nothing_recognisable(index: RegionIndex) -> None:
    for text in ("", "   ", "hello world", "🙂🙂", "我家门口的路灯坏了"):
        parsed = index.parse(text)
        assert parsed.region is None
        assert parsed.confidence == 0.0


def test_address_match_requires_the_same_numbers() -> None:
    match = match_address("幸福路12号院北门垃圾堆放", ADDRESSES)
    assert match is not None
    assert match.address.id == 101
    assert match_address("幸福路14号院北门", ADDRESSES) is None


def test_address_match_by_compound_name() -> None:
    match = match_address("锦绣家园小区电梯坏了", ADDRESSES)
    assert match is not None
    assert match.address.id == 103
    assert match.score >= 80


def test_address_match_tolerates_a_typo_in_a_long_name() -> None:
    match = match_address("幸富路12号院门口", ADDRESSES)  # 福 typed as 富
    assert match is not None
    assert match.address.id == 101


def test_no_address_for_unrelated_text() -> None:
    assert match_address("路灯不亮", ADDRESSES) is None
    assert match_address("", ADDRESSES) is None
    assert match_address("幸福路12号院", []) is None


def test_place_from_a_matched_address_is_its_grid(index: RegionIndex) -> None:
    place, parsed, match = place_from_text(index, "临江区幸福路12号院门口积水", ADDRESSES)
    assert match is not None
    assert place.source == "address"
    assert place.region_id == 10
    assert place.street is not None
    assert place.street.name == "东湖街道"
    assert place.district is not None
    assert place.district.name == "临江区"
    assert "幸福路12号院" in place.detail
    assert 0.5 < place.confidence <= 0.98
    assert parsed.region is not None


def test_place_from_region_names_only(index: RegionIndex) -> None:
    place, _parsed, match = place_from_text(index, "白岭街道有一处路灯不亮", ADDRESSES)
    assert match is None
    assert place.region_id == 6
    assert place.street is not None
    assert place.street.name == "白岭街道"


def test_place_unknown(index: RegionIndex) -> None:
    place, _parsed, match = place_from_text(index, "我家门口的路灯坏了", ADDRESSES)
    assert match is None
    assert not place.known
    assert place.source == "none"


def test_chain_of_a_grid(index: RegionIndex) -> None:
    assert [r.name for r in index.chain(10)] == [
        "云州市",
        "临江区",
        "东湖街道",
        "枫林社区",
        "枫林第一网格",
    ]
    assert index.chain(999) == []


# --- the first stage: national divisions (cpca) -----------------------------------------------

BEIJING = [
    RegionName(1, "110000000000", "北京市", "city", None, "/1/"),
    RegionName(2, "110105000000", "朝阳区", "district", 1, "/1/2/"),
    RegionName(3, "110108000000", "海淀区", "district", 1, "/1/3/"),
    RegionName(4, "110105001000", "建外街道", "street", 2, "/1/2/4/"),
    RegionName(5, "110108001000", "中关村街道", "street", 3, "/1/3/5/"),
    RegionName(6, "110105001001", "永安里社区", "community", 4, "/1/2/4/6/"),
    RegionName(7, "110108001001", "科源社区", "community", 5, "/1/3/5/7/"),
]
BEIJING_ADDRESSES = [
    AddressRef(201, "光华路9号院", 6, "/1/2/4/6/"),
    AddressRef(202, "中关村大街27号", 7, "/1/3/5/7/"),
]


@pytest.fixture(scope="module")
def beijing() -> RegionIndex:
    return RegionIndex(BEIJING)


def test_divisions_of_real_addresses() -> None:
    full = parse_divisions("北京市朝阳区建外街道光华路9号院2号楼")
    assert (full.province, full.county, full.adcode) == ("北京市", "朝阳区", "110105")
    assert full.remainder == "建外街道光华路9号院2号楼"
    assert full.named_levels == 2
    assert full.city_name == "北京市"
    province = parse_divisions("广东省深圳市南山区粤海街道科技园")
    assert province.label == "广东省深圳市南山区"
    assert province.named_levels == 3
    # 朝阳区 alone is Changchun's for cpca unless the territory says which one it means.
    assert parse_divisions("朝阳区光华路9号院").adcode == "220104"
    assert parse_divisions("朝阳区光华路9号院", prefer={"朝阳区": "110105"}).adcode == "110105"
    for text in ("", "光华路9号院门口垃圾", "幸福小区门口垃圾堆放"):
        assert not parse_divisions(text).found


@pytest.mark.parametrize(
    ("text", "region_id"),
    [
        ("北京市朝阳区建外街道永安里社区光华路9号院", 6),
        ("北京朝阳区建外街道", 4),
        ("朝阳区建外街道", 4),  # no city: the territory's 朝阳区, not Changchun's
        ("北京朝阳建外", 4),  # short names below the city
        ("海淀区中关村街道科源社区", 7),
        ("建外街道永安里社区门口", 6),  # no divisions at all: the territory's names alone
    ],
)
def test_real_addresses_with_and_without_prefixes(
    beijing: RegionIndex, text: str, region_id: int
) -> None:
    parsed = beijing.parse(text)
    assert parsed.region is not None, text
    assert parsed.region.id == region_id
    assert not parsed.outside


def test_the_county_anchors_the_search_below_it(beijing: RegionIndex) -> None:
    # 中关村街道 is in 海淀区: a text that says 朝阳区 is not placed in 海淀区 by it.
    parsed = beijing.parse("北京市朝阳区中关村街道")
    assert parsed.region is not None
    assert parsed.region.id == 2
    assert parsed.remainder == "中关村街道"


@pytest.mark.parametrize(
    ("text", "outside"),
    [
        ("上海市浦东新区张江镇科苑路88号", "上海市浦东新区"),
        ("北京市西城区金融街7号", "北京市西城区"),  # our city, but not one of our districts
        ("吉林省长春市朝阳区建设街", "吉林省长春市朝阳区"),
    ],
)
def test_addresses_outside_the_territory(beijing: RegionIndex, text: str, outside: str) -> None:
    parsed = beijing.parse(text)
    assert parsed.region is None
    assert parsed.outside == outside
    place, _parsed, match = place_from_text(beijing, text, BEIJING_ADDRESSES)
    assert match is None
    assert not place.known
    assert "不在本辖区" in place.detail


def test_a_lone_county_name_elsewhere_does_not_make_a_text_outside(beijing: RegionIndex) -> None:
    # cpca finds 南山区 (Shenzhen), but one named level is not enough to call it outside.
    parsed = beijing.parse("在南山区出差，回到建外街道发现路灯坏了")
    assert not parsed.outside
    assert parsed.region is not None
    assert parsed.region.id == 4


def test_fictional_district_is_not_the_national_namesake(index: RegionIndex) -> None:
    # cpca reads 临江 as 吉林's 临江市; the territory's own 临江区 is in the text, so it wins.
    parsed = index.parse("云州市临江区东湖街道枫林社区")
    assert parsed.divisions.county == "临江市"
    assert not parsed.outside
    assert parsed.region is not None
    assert parsed.region.id == 7


def test_address_match_below_the_divisions(beijing: RegionIndex) -> None:
    place, parsed, match = place_from_text(
        beijing, "北京市朝阳区光华路9号院2号楼门口垃圾", BEIJING_ADDRESSES
    )
    assert match is not None
    assert match.address.id == 201
    assert place.region_id == 6
    assert parsed.divisions.county == "朝阳区"
