"""The automatic-dispatch decision (pure): category evidence + routing decision + policy →
dispatch without a person or not, with the reasons; and the thresholds calibrated on held-out
predictions that the policy's target accuracy selects."""

from __future__ import annotations

import pytest

from civicgrid.dispatch.routing import (
    NEVER,
    AutoRoutePolicy,
    CategoryEvidence,
    HeldOutPrediction,
    RoutingDecision,
    RoutingRule,
    RoutingThresholds,
    calibrate_thresholds,
    category_verdict,
    decide_auto_dispatch,
)

TARGETS = (0.9, 0.95, 0.97, 0.99)
THRESHOLDS = RoutingThresholds(
    targets=TARGETS,
    global_cut=(0.5, 0.7, 0.8, NEVER),
    by_label={"030101": (0.6, 0.9, NEVER, NEVER)},
    n_calibration=500,
)
POLICY = AutoRoutePolicy(target_accuracy=0.97, unit_threshold=0.8, thresholds=THRESHOLDS)
STREET = RoutingDecision(RoutingRule.STREET, "派至东湖街道", "region", 3, "东湖街道", 1.0)
FALLBACK = RoutingDecision(RoutingRule.DISTRICT_FALLBACK, "区政府兜底", "region", 2, "临江区", 0.5)
MANUAL = RoutingDecision(RoutingRule.MANUAL, "无法确定诉求发生地，请人工派单")


def model(label: str | None, p: float, *, in_catalogue: bool = True) -> CategoryEvidence:
    return CategoryEvidence("model", label, p, label or "", in_catalogue)


CASES = [
    # (case, evidence, routing decision, policy, dispatch?, category ok?, reason fragments)
    ("confident category, street decided", model("010101", 0.85), STREET, POLICY, True, True, []),
    ("exactly at the cut", model("010101", 0.8), STREET, POLICY, True, True, []),
    (
        "below the global cut at 97 %",
        model("010101", 0.79),
        STREET,
        POLICY,
        False,
        False,
        ["未达到目标准确率 97%", "阈值 0.80"],
    ),
    (
        "the same probability routes at a lower target",
        model("010101", 0.79),
        STREET,
        AutoRoutePolicy(0.95, 0.8, THRESHOLDS),
        True,
        True,
        [],
    ),
    (
        "a target between grid points takes the stricter one",
        model("010101", 0.75),
        STREET,
        AutoRoutePolicy(0.951, 0.8, THRESHOLDS),
        False,
        False,
        ["阈值 0.80"],
    ),
    (
        "a label with its own cut that never reaches 97 %",
        model("030101", 0.99),
        STREET,
        POLICY,
        False,
        False,
        ["该类别在此准确率下不自动派单"],
    ),
    (
        "above the calibrated grid nothing routes",
        model("010101", 0.999),
        STREET,
        AutoRoutePolicy(0.999, 0.8, THRESHOLDS),
        False,
        False,
        ["未达到目标准确率"],
    ),
    (
        "a model without calibrated thresholds never routes",
        model("010101", 0.99),
        STREET,
        AutoRoutePolicy(0.97, 0.8, None),
        False,
        False,
        ["未标定自动派单阈值"],
    ),
    (
        "label not in the catalogue",
        model("999999", 0.95, in_catalogue=False),
        STREET,
        POLICY,
        False,
        False,
        ["不在派单目录中"],
    ),
    (
        "no prediction: the classifier's reason",
        CategoryEvidence("model", unavailable="分类模型不可用，转人工派单"),
        STREET,
        POLICY,
        False,
        False,
        ["分类模型不可用"],
    ),
    (
        "confident category, unit only by district fallback",
        model("010101", 0.9),
        FALLBACK,
        POLICY,
        False,
        True,
        ["承办单位判定置信度 0.50 低于阈值 0.80"],
    ),
    (
        "confident category, no unit",
        model("010101", 0.9),
        MANUAL,
        POLICY,
        False,
        True,
        ["无法确定诉求发生地"],
    ),
    (
        "both category and unit fail: both reasons",
        model("010101", 0.3),
        MANUAL,
        POLICY,
        False,
        False,
        ["未达到目标准确率", "无法确定诉求发生地"],
    ),
    (
        "category registered at intake needs no threshold, and says so",
        CategoryEvidence("registered", "030101", 1.0, "夜间施工噪声"),
        STREET,
        POLICY,
        True,
        True,
        ["按受理时登记的类别“夜间施工噪声”"],
    ),
    (
        "category chosen by the dispatcher",
        CategoryEvidence("chosen", "030101", 1.0, "夜间施工噪声"),
        STREET,
        AutoRoutePolicy(0.97, 0.8, None),
        True,
        True,
        [],
    ),
    (
        "a lower unit threshold accepts the fallback",
        model("010101", 0.9),
        FALLBACK,
        AutoRoutePolicy(0.97, 0.5, THRESHOLDS),
        True,
        True,
        [],
    ),
]


@pytest.mark.parametrize(
    ("evidence", "decision", "policy", "dispatch", "category_ok", "fragments"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decision_table(
    evidence: CategoryEvidence,
    decision: RoutingDecision,
    policy: AutoRoutePolicy,
    dispatch: bool,
    category_ok: bool,
    fragments: list[str],
) -> None:
    result = decide_auto_dispatch(evidence, decision, policy)
    assert result.dispatch is dispatch
    assert result.category.confident is category_ok
    text = "；".join(result.reasons)
    for fragment in fragments:
        assert fragment in text
    if not fragments:
        assert result.reasons == ()
    if not dispatch:
        assert result.reasons  # whoever keeps the appeal hears why


def test_category_verdict_says_which_threshold_it_used() -> None:
    verdict = category_verdict(model("010101", 0.85), POLICY)
    assert verdict.confident
    assert "0.85" in verdict.reason
    assert "阈值 0.80" in verdict.reason


def rows(label: str, probs_ok: list[tuple[float, bool]]) -> list[HeldOutPrediction]:
    return [HeldOutPrediction(label, p, 1 - p, ok) for p, ok in probs_ok]


def test_calibration_finds_the_largest_prefix_reaching_each_target() -> None:
    # 20 rows of one label: the top 10 right, then a wrong one, then 9 right, lower down.
    held = rows("a", [(1 - i / 100, i != 10) for i in range(20)])
    found = calibrate_thresholds(held, targets=(0.9, 0.95, 0.99), minimum=5)
    # 19/20 = 0.95 over all rows; 10/10 before the wrong one; 0.9 also over all rows.
    assert found.global_cut == (0.81, 0.81, 0.91)
    assert found.cut("a", 0.95) == 0.81
    assert found.cut("a", 0.96) == 0.91
    assert found.cut("a", 0.999) == NEVER
    assert found.n_calibration == 20


def test_calibration_never_routes_when_the_target_is_out_of_reach() -> None:
    held = rows("a", [(0.9, i % 2 == 0) for i in range(20)])
    found = calibrate_thresholds(held, targets=(0.9,), minimum=5)
    assert found.global_cut == (NEVER,)


def test_per_label_cuts_only_for_labels_with_enough_rows() -> None:
    many = rows("a", [(0.9 - i / 100, i < 15) for i in range(20)])
    few = rows("b", [(0.6, True)] * 3)
    found = calibrate_thresholds(many + few, targets=(0.95,), per_label=True, minimum=10)
    assert set(found.by_label) == {"a"}
    assert found.cut("a", 0.95) == found.by_label["a"][0]
    assert found.cut("b", 0.95) == found.global_cut[0]
    assert found.as_dict()["by_label"] == {"a": list(found.by_label["a"])}
    without = calibrate_thresholds(many + few, targets=(0.95,), per_label=False, minimum=10)
    assert without.by_label == {}
