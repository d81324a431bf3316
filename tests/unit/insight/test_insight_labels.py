"""Hot-problem labels read as place + the problem's distinctive terms: no stop words, no
pieces of the place, no place cut out of a longer phrase (docs/domain/insight.md)."""

from __future__ import annotations

import pytest

from civicgrid.insight import labels


@pytest.mark.parametrize(
    ("places", "areas", "terms", "expected"),
    [
        # The dashboard's complaint: pronouns and generic verbs as key terms.
        (["东塘小区"], [], ["自己", "有人", "解决不了", "电梯", "维修"], "东塘小区：电梯、维修"),
        # A piece of the place is not a term ("新城" of 丽发新城).
        (
            ["丽发新城"],
            ["A2区"],
            ["新城", "搅拌站", "噪音", "粉尘"],
            "丽发新城：搅拌站、噪音、粉尘",
        ),
        (["伊景园滨河苑"], [], ["景园", "滨河", "车位", "捆绑"], "伊景园滨河苑：车位、捆绑"),
        # No usable place: the district; none at all: the terms alone.
        (["严重影响小区"], ["A7县"], ["诺亚", "医院"], "A7县：诺亚、医院"),
        ([], [], ["车贷", "立案", "退出"], "车贷、立案、退出"),
        ([], ["A4区"], ["看到", "全部"], "A4区"),
        ([], [], ["自己"], "未命名问题"),
        # Numbers and counted quantities are not terms; neither is a term inside another.
        (["凉塘路"], [], ["47", "五度", "旧城改造", "旧城", "改造"], "凉塘路：旧城改造"),
        # Only the shown place's pieces go: a second place's words may describe the problem.
        (["玉佩路", "南山十里天池"], [], ["天池", "交付", "玉佩"], "玉佩路：天池、交付"),
        # At most three terms.
        (["月亮岛路"], [], ["高压线", "架设", "110kv", "辐射"], "月亮岛路：高压线、架设、110kv"),
    ],
)
def test_hot_label(places: list[str], areas: list[str], terms: list[str], expected: str) -> None:
    assert labels.hot_label(places, areas, terms) == expected


@pytest.mark.parametrize(
    ("name", "contexts", "fragment"),
    [
        ("题纳入社区", ["建议将该问题纳入社区议事协商"], True),
        ("域不宜临路", ["这个区域不宜临路开门"], True),
        ("现文源街道", ["我发现文源街道有人诈骗"], True),
        ("丽发新城", ["A2区丽发新城附近的搅拌站"], False),
        ("凉塘路", ["A7县凉塘路旧城改造何时开始"], False),
        # Judged by most of the texts that name it; texts without it do not count.
        ("题纳入社区", ["该问题纳入社区", "别的事", "问题纳入社区协商"], True),
        ("丽发新城", ["在丽发新城", "没有这个名字"], False),
        ("丽发新城", [], False),
    ],
)
def test_place_cut_from_a_phrase(name: str, contexts: list[str], fragment: bool) -> None:
    assert labels.cut_from_phrase(name, contexts) is fragment


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("严重影响小区", True),
        ("18班幼儿园", True),
        ("G03地块小区", True),
        ("原建设30班小学", True),
        ("一条石长铁路", True),
        ("凉塘路", False),
        ("丽发新城", False),
        ("#42", False),
        ("魅力之城小区", False),
    ],
)
def test_generic_place(name: str, generic: bool) -> None:
    assert labels.generic_place(name) is generic


def test_usable_places_keep_their_order() -> None:
    contexts = ["将该问题纳入社区协商，丽发新城与凉塘路"]
    assert labels.usable_places(["凉塘路", "题纳入社区", "丽发新城"], contexts) == (
        "凉塘路",
        "丽发新城",
    )


@pytest.mark.parametrize(
    ("term", "shown"),
    [
        ("自己", False),
        ("有人", False),
        ("解决不了", False),
        ("问题", False),
        ("3号", False),
        ("噪音", True),
        ("搅拌站", True),
        ("车", False),
    ],
)
def test_shows_problem(term: str, shown: bool) -> None:
    assert labels.shows_problem(term) is shown
