"""Duplicate detection on a constructed set of 20 pairs: same problem at the same place is a
duplicate; the same problem far away, or another problem at the same place, is not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid.clock import BEIJING
from civicgrid.dispatch.duplicates import (
    AppealText,
    DuplicatePolicy,
    cosine,
    distance_m,
    find_duplicates,
    normalise_text,
    text_similarity,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=BEIJING)
HERE = (120.1550, 30.2740)
NEAR = (120.1556, 30.2744)  # about 70 m away
FAR = (120.1750, 30.2900)  # about 2.6 km away

# (first report, second report, second location, is duplicate)
PAIRS: list[tuple[str, str, tuple[float, float], bool]] = [
    # same problem, same place → duplicate
    (
        "幸福路12号院门口垃圾堆放多日无人清运，气味很大",
        "幸福路12号院门口的垃圾好几天没人清运了，很臭",
        NEAR,
        True,
    ),
    (
        "小区东门路灯不亮已经一周了，晚上很黑",
        "小区东门的路灯坏了一个星期，晚上出行不安全",
        NEAR,
        True,
    ),
    ("楼下餐馆油烟直排，熏得家里没法开窗", "楼下饭馆油烟直接排放，家里窗户都不能开", HERE, True),
    ("工地夜间施工噪音太大，凌晨还在打桩", "工地晚上施工噪声扰民，半夜还在打桩", NEAR, True),
    ("路口井盖缺失，非常危险，请尽快处理", "路口的井盖丢了，很危险，希望尽快修复", HERE, True),
    ("人行道上有商贩占道经营，行人无法通过", "人行道被摆摊商贩占用，行人没法走", NEAR, True),
    ("3号楼电梯故障停运，老人上下楼困难", "3号楼电梯坏了停运，老年人上下楼很困难", HERE, True),
    ("小区停水一整天了，没有任何通知", "小区一整天停水，事先也没有通知", NEAR, True),
    ("共享单车乱停堵住了地铁站出口", "地铁站出口被乱停的共享单车堵住了", HERE, True),
    ("道路积水严重，车辆无法通行", "这段路积水很严重，车都过不去", NEAR, True),
    # same problem, far away → not a duplicate
    (
        "幸福路12号院门口垃圾堆放多日无人清运，气味很大",
        "幸福路12号院门口的垃圾好几天没人清运了，很臭",
        FAR,
        False,
    ),
    (
        "小区东门路灯不亮已经一周了，晚上很黑",
        "小区东门的路灯坏了一个星期，晚上出行不安全",
        FAR,
        False,
    ),
    ("工地夜间施工噪音太大，凌晨还在打桩", "工地晚上施工噪声扰民，半夜还在打桩", FAR, False),
    ("路口井盖缺失，非常危险，请尽快处理", "路口的井盖丢了，很危险，希望尽快修复", FAR, False),
    ("小区停水一整天了，没有任何通知", "小区一整天停水，事先也没有通知", FAR, False),
    # another problem, same place → not a duplicate
    (
        "幸福路12号院门口垃圾堆放多日无人清运，气味很大",
        "幸福路12号院门口有人违章搭建彩钢板房",
        NEAR,
        False,
    ),
    ("小区东门路灯不亮已经一周了，晚上很黑", "小区东门有商贩占道经营，影响通行", HERE, False),
    ("楼下餐馆油烟直排，熏得家里没法开窗", "楼下餐馆拖欠员工工资三个月不发", NEAR, False),
    ("3号楼电梯故障停运，老人上下楼困难", "3号楼楼道堆放杂物，存在消防隐患", HERE, False),
    ("小区停水一整天了，没有任何通知", "小区物业乱收停车费，没有任何公示", NEAR, False),
]

PRECISION_MIN = 0.9
RECALL_MIN = 0.9


def _appeal(n: int, text: str, at: datetime, where: tuple[float, float]) -> AppealText:
    return AppealText(
        id=n, number=f"A{n}", text=text, received_at=at, lon=where[0], lat=where[1], status="x"
    )


def test_constructed_set_precision_and_recall() -> None:
    assert len(PAIRS) == 20
    tp = fp = fn = tn = 0
    for n, (first, second, where, expected) in enumerate(PAIRS):
        older = _appeal(2 * n + 1, first, T0, HERE)
        newer = _appeal(2 * n + 2, second, T0 + timedelta(days=1), where)
        found = bool(find_duplicates(newer, [older]))
        tp += found and expected
        fp += found and not expected
        fn += (not found) and expected
        tn += (not found) and (not expected)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    assert precision >= PRECISION_MIN, (tp, fp, fn, tn)
    assert recall >= RECALL_MIN, (tp, fp, fn, tn)


def test_each_positive_pair_scores_above_each_negative_text_pair_at_the_same_place() -> None:
    positives = [text_similarity(a, b) for a, b, _, dup in PAIRS if dup]
    other_problem = [text_similarity(a, b) for a, b, w, dup in PAIRS[15:]]
    assert min(positives) > max(other_problem)


def test_window_of_days() -> None:
    first, second = PAIRS[0][0], PAIRS[0][1]
    older = _appeal(1, first, T0, HERE)
    late = _appeal(2, second, T0 + timedelta(days=8), NEAR)
    assert find_duplicates(late, [older]) == []
    assert find_duplicates(late, [older], DuplicatePolicy(window_days=10))


def test_same_address_or_region_without_coordinates() -> None:
    first, second = PAIRS[1][0], PAIRS[1][1]
    a = AppealText(1, "A1", first, T0, address="幸福路12号院")
    b = AppealText(2, "A2", second, T0, address="幸福路１２号院")
    assert find_duplicates(b, [a])[0].place_reason == "地址相同"
    c = AppealText(3, "A3", first, T0, region_id=7)
    d = AppealText(4, "A4", second, T0, region_id=7)
    assert find_duplicates(d, [c])[0].place_reason == "同一网格/社区"
    e = AppealText(5, "A5", first, T0, region_id=8)
    assert find_duplicates(d, [e]) == []


def test_candidates_are_ranked_and_never_include_the_appeal_itself() -> None:
    new = _appeal(1, PAIRS[0][1], T0, HERE)
    exact = _appeal(2, PAIRS[0][1], T0 - timedelta(hours=2), NEAR)
    close = _appeal(3, PAIRS[0][0], T0 - timedelta(hours=1), NEAR)
    found = find_duplicates(new, [close, exact, new])
    assert [c.appeal.id for c in found] == [2, 3]
    assert found[0].score >= DuplicatePolicy().auto_merge_at
    assert found[1].score < found[0].score
    assert found[0].distance_m is not None
    assert found[0].distance_m < 100


def test_similarity_helpers() -> None:
    assert normalise_text("市民反映：路灯 不亮！！") == "路灯不亮"
    assert cosine("路灯不亮", "路灯不亮") == pytest.approx(1.0)
    assert cosine("", "路灯") == 0.0
    assert text_similarity("🙂", "路灯不亮") == 0.0
    assert text_similarity("hello", "hello") == pytest.approx(1.0)
    assert distance_m(*HERE, *HERE) == 0.0
    assert 60 < distance_m(*HERE, *NEAR) < 90
    assert distance_m(*HERE, *FAR) > 2000
