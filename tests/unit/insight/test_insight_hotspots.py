"""Hot-problem mining on constructed texts: near-duplicates group, different problems and
different districts do not, the time window splits, heat orders the groups, explanations name
the problem."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta

import pytest

from civicgrid.clock import BEIJING
from civicgrid.insight import hotspots, similarity
from civicgrid.insight.hotspots import HotspotConfig, HotspotItem, find_hotspots, item_from_text

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=BEIJING)

NOISE = [
    "丽发新城附近搅拌站噪音扰民",
    "投诉丽发新城旁边搅拌站夜间噪音",
    "丽发新城搅拌站噪音太大影响睡眠",
    "丽发新城附近的搅拌站噪音严重扰民",
]
PARKING = [
    "滨河苑开发商捆绑销售车位",
    "投诉滨河苑捆绑销售车位",
    "滨河苑车位捆绑销售违法",
]
SINGLES = [
    "公交站台广告牌破损",
    "学校周边交通拥堵",
    "社保卡补办流程咨询",
    "医院挂号难问题",
    "路灯不亮已经一周",
]


def _items(
    texts: list[str], *, prefix: str, start: datetime = T0, area: str = ""
) -> list[HotspotItem]:
    return [
        item_from_text(
            key=f"{prefix}{i}",
            title=f"{area}{t}",
            text=f"{area}{t}，请有关部门尽快处理。",
            at=start + timedelta(hours=5 * i),
            caller=f"{prefix}-caller-{i}",
        )
        for i, t in enumerate(texts)
    ]


def _groups(found: list[hotspots.Hotspot]) -> list[set[str]]:
    return [set(h.members) for h in found]


def test_near_duplicates_form_one_group_and_other_problems_stay_apart() -> None:
    items = _items(NOISE, prefix="n") + _items(PARKING, prefix="p") + _items(SINGLES, prefix="s")

    groups = _groups(find_hotspots(items))

    assert {"n0", "n1", "n2", "n3"} in groups
    assert {"p0", "p1", "p2"} in groups
    assert not any(k.startswith("s") for g in groups for k in g)


def test_the_same_complaint_in_two_districts_is_two_problems() -> None:
    a2 = _items(NOISE, prefix="a", area="A市A2区")
    a5 = _items(NOISE, prefix="b", area="A市A5区")

    groups = _groups(find_hotspots(a2 + a5))

    assert {"a0", "a1", "a2", "a3"} in groups
    assert {"b0", "b1", "b2", "b3"} in groups
    assert len(groups) == 2


def test_an_item_without_district_joins_the_district_it_resembles_not_both() -> None:
    a2 = _items(NOISE, prefix="a", area="A2区")
    a5 = _items(["幸福小区电梯故障困人", "幸福小区电梯经常故障", "幸福小区电梯又坏了"], prefix="b")
    bridge = _items(["丽发新城搅拌站噪音扰民"], prefix="x")

    found = find_hotspots(a2 + a5 + bridge)

    group = next(g for g in _groups(found) if "a0" in g)
    assert "x0" in group
    assert not group & {"b0", "b1", "b2"}


def test_appeals_months_apart_are_not_one_hot_problem() -> None:
    early = _items(NOISE[:2], prefix="e")
    late = _items(NOISE[2:], prefix="l", start=T0 + timedelta(days=120))

    groups = _groups(find_hotspots(early + late, config=HotspotConfig(window_days=30)))

    assert {"e0", "e1"} in groups
    assert {"l0", "l1"} in groups


def test_heat_ranks_more_callers_and_votes_first() -> None:
    noise = _items(NOISE, prefix="n")
    parking = [
        HotspotItem(
            key=it.key,
            title=it.title,
            text=it.text,
            at=it.at,
            caller=it.caller,
            places=it.places,
            support=500,
        )
        for it in _items(PARKING, prefix="p")
    ]
    same_caller = [
        HotspotItem(
            key=it.key, title=it.title, text=it.text, at=it.at, caller="one", places=it.places
        )
        for it in _items(PARKING, prefix="q", start=T0 + timedelta(days=200))
    ]

    found = find_hotspots(noise + parking + same_caller)

    order = [min(h.members) for h in found]
    assert order[0] == "p0"  # three callers and 500 votes beat four callers without votes
    assert order.index("n0") < order.index("q0")  # one caller repeating is not a crowd
    assert [h.rank for h in found] == list(range(1, len(found) + 1))
    assert all(found[i].heat >= found[i + 1].heat for i in range(len(found) - 1))
    top = found[0]
    assert top.heat == pytest.approx(sum(top.heat_parts.values()), abs=1e-3)
    assert top.support == 1500
    assert top.callers == 3


def test_a_group_is_explained_by_terms_places_dates_and_samples() -> None:
    items = _items(NOISE, prefix="n", area="A市A2区") + _items(SINGLES, prefix="s")

    (group,) = find_hotspots(items)

    assert "搅拌站" in group.terms
    assert group.areas == ("A2区",)
    assert "丽发新城" in group.places
    assert group.first_at == T0
    assert group.last_at == T0 + timedelta(hours=15)
    assert len(group.samples) == 3
    assert {s.key for s in group.samples} <= set(group.members)
    assert "丽发新城" in group.label


def test_no_items_give_no_hot_problems() -> None:
    assert find_hotspots([]) == []


def test_items_without_any_shared_words_give_no_group() -> None:
    assert find_hotspots(_items(SINGLES, prefix="s")) == []


def test_growth_is_positive_when_a_problem_builds_up_late_in_the_period() -> None:
    items = _items(NOISE, prefix="n", start=T0 + timedelta(days=25))
    span = (T0, T0 + timedelta(days=30))

    (group,) = find_hotspots(items, span=span)

    assert group.growth == pytest.approx(1.0)
    assert group.heat_parts["growth"] > 0


def test_limit_keeps_the_hottest() -> None:
    items = _items(NOISE, prefix="n") + _items(PARKING, prefix="p")

    found = find_hotspots(items, limit=1)

    assert len(found) == 1
    assert found[0].rank == 1


def test_a_limit_gives_the_first_groups_of_the_full_ranking_explained_alike() -> None:
    items = (
        _items(NOISE, prefix="n")
        + _items(PARKING, prefix="p", start=T0 + timedelta(days=3))
        + _items(NOISE[:2], prefix="m", area="A市A2区", start=T0 + timedelta(days=9))
        + _items(PARKING[:2], prefix="q", start=T0 + timedelta(days=200))
    )
    everything = find_hotspots(items)
    assert len(everything) >= 3

    for limit in range(len(everything) + 1):
        assert find_hotspots(items, limit=limit) == everything[:limit]


def test_mining_leaves_the_cycle_collector_as_it_found_it() -> None:
    items = _items(NOISE, prefix="n")
    assert gc.isenabled()

    find_hotspots(items)
    assert gc.isenabled()

    gc.disable()
    try:
        find_hotspots(items)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stop_words_and_single_characters_are_not_terms() -> None:
    words = similarity.terms("您好，反映一下丽发新城搅拌站的问题")

    assert "问题" not in words
    assert "反映" not in words
    assert all(len(w) >= 2 for w in words)
    assert "搅拌站" in words
