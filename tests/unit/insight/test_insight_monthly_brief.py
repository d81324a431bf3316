"""每月一题 proposal rules: ranking by appeal count then repeat callers, repeat callers and units
counted from the members, and the trend matcher (same place and terms in earlier months)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicgrid.insight import monthly_brief as rules
from civicgrid.insight.monthly_brief import Candidate, EarlierAppeal, MemberFacts, TrendInput

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _c(label: str, appeals: int, repeat: int, day: int = 1) -> Candidate:
    return Candidate(
        label=label,
        terms=(),
        places=(),
        appeals=appeals,
        repeat_callers=repeat,
        units=(),
        first_at=T0.replace(day=day),
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([_c("甲", 3, 0), _c("乙", 5, 0), _c("丙", 4, 9)], ["乙", "丙", "甲"]),  # appeals first
        ([_c("甲", 4, 1), _c("乙", 4, 2)], ["乙", "甲"]),  # then repeat callers
        ([_c("甲", 4, 1, day=9), _c("乙", 4, 1, day=2)], ["乙", "甲"]),  # then earliest
        ([_c("b", 4, 1), _c("a", 4, 1)], ["a", "b"]),  # then label
        ([], []),
    ],
)
def test_rank_orders_by_appeals_then_repeat_callers(
    given: list[Candidate], expected: list[str]
) -> None:
    ranked = rules.rank(given)
    assert [c.label for c in ranked] == expected
    assert [c.rank for c in ranked] == list(range(1, len(expected) + 1))


def test_rank_keeps_the_top_limit() -> None:
    ranked = rules.rank([_c(str(i), i, 0) for i in range(10)], limit=3)
    assert [c.label for c in ranked] == ["9", "8", "7"]
    assert rules.rank([_c("甲", 1, 0)], limit=0) == []


@pytest.mark.parametrize(
    ("callers", "expected"),
    [
        (["a", "b", "c"], 0),
        (["a", "a", "b"], 1),
        (["a", "a", "b", "b", "b", "c"], 2),
        (["", "", ""], 0),  # unknown callers are never one repeat caller
        ([], 0),
    ],
)
def test_repeat_callers_counts_callers_who_called_more_than_once(
    callers: list[str], expected: int
) -> None:
    assert rules.repeat_callers(callers) == expected


def test_a_candidate_counts_its_members_and_their_units() -> None:
    members = [
        MemberFacts("phone:x", "朝阳区城管执法局"),
        MemberFacts("phone:x", "建外街道"),
        MemberFacts("user:7", "朝阳区城管执法局"),
        MemberFacts("", ""),
    ]
    c = rules.candidate(
        label="建国里：噪音", terms=("噪音",), places=("建国里",), first_at=T0, members=members
    )
    assert c.appeals == 4
    assert c.repeat_callers == 1
    assert c.units == (("朝阳区城管执法局", 2), ("建外街道", 1))


@pytest.mark.parametrize(
    ("terms", "places", "earlier", "expected"),
    [
        (("施工", "噪音"), {"#5"}, EarlierAppeal(0, frozenset({"#5"}), "工地夜间施工噪音"), True),
        (("施工", "噪音"), {"#5"}, EarlierAppeal(0, frozenset({"#6"}), "工地夜间施工噪音"), False),
        (("施工", "噪音"), {"#5"}, EarlierAppeal(0, frozenset({"#5"}), "夜间噪音扰民"), False),
        (("噪音",), {"#5"}, EarlierAppeal(0, frozenset({"#5"}), "夜间噪音扰民"), True),
        (("施工", "噪音"), set(), EarlierAppeal(0, frozenset({"#9"}), "施工噪音"), True),
        ((), {"#5"}, EarlierAppeal(0, frozenset({"#5"}), "施工噪音"), False),
    ],
)
def test_same_problem_needs_a_shared_place_and_terms(
    terms: tuple[str, ...], places: set[str], earlier: EarlierAppeal, expected: bool
) -> None:
    assert rules.same_problem(terms, places, earlier) is expected


def test_trend_counts_matching_appeals_per_previous_month() -> None:
    keys = TrendInput(("施工", "噪音"), frozenset({"#5"}))
    here = frozenset({"#5"})
    earlier = [
        EarlierAppeal(0, here, "施工噪音"),
        EarlierAppeal(2, here, "夜间施工噪音大"),
        EarlierAppeal(2, here, "施工噪音扰民"),
        EarlierAppeal(2, frozenset({"#6"}), "施工噪音"),  # another place
        EarlierAppeal(1, here, "路灯不亮"),  # another problem
        EarlierAppeal(-1, here, "施工噪音"),  # outside the three months
    ]
    assert rules.trend_counts(keys, earlier) == (1, 0, 2)
    assert rules.trend_counts(keys, []) == (0, 0, 0)
