"""Rankings, the four classes and unit warnings (pure rules)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.assessment.ranking import (
    RankClass,
    UnitResult,
    UnitType,
    UnitWarning,
    classify,
    parse_unit_type,
    rank_units,
    warning_for,
)
from civicgrid.assessment.rates import AssessmentConfig, Counts
from civicgrid.errors import Invalid


def perfect(n: int = 10) -> Counts:
    return Counts(response_due=n, response_on_time=n, valid_callbacks=n, resolved=n, satisfied=n)


def share(on: int, of: int = 10) -> Counts:
    return Counts(
        response_due=of, response_on_time=on, valid_callbacks=of, resolved=on, satisfied=on
    )


@pytest.mark.parametrize(
    ("score", "previous", "expected"),
    [
        (0.97, None, RankClass.ADVANCED),
        (0.95, 0.99, RankClass.ADVANCED),
        (0.79, 0.50, RankClass.GOVERNANCE),
        (0.90, 0.86, RankClass.PROGRESS),
        (0.90, 0.87, RankClass.PROGRESS),
        (0.90, 0.88, RankClass.RECTIFY),
        (0.90, None, RankClass.RECTIFY),
    ],
)
def test_four_classes(score: float, previous: float | None, expected: RankClass) -> None:
    assert classify(score, previous) is expected


def test_warning_colours_follow_thresholds() -> None:
    assert warning_for(0.93) is UnitWarning.GREEN
    assert warning_for(0.85) is UnitWarning.YELLOW
    assert warning_for(0.5) is UnitWarning.RED
    strict = AssessmentConfig(green_min_score=0.99, yellow_min_score=0.95)
    assert warning_for(0.96, strict) is UnitWarning.YELLOW


def test_ranking_orders_ties_and_leaves_empty_units_unranked() -> None:
    ranked = rank_units(
        [
            UnitResult(1, "乙街道", share(8)),
            UnitResult(2, "甲街道", perfect()),
            UnitResult(3, "丙街道", share(8)),
            UnitResult(4, "丁街道", Counts()),
            UnitResult(5, "戊街道", share(9), previous=share(8)),
        ]
    )
    # equal scores are listed by name (code point order: 丙 before 乙)
    assert [u.unit_id for u in ranked] == [2, 5, 3, 1, 4]
    assert [u.rank for u in ranked] == [1, 2, 3, 3, None]
    assert ranked[0].rank_class is RankClass.ADVANCED
    assert ranked[1].rank_class is RankClass.PROGRESS
    assert ranked[1].previous_score == pytest.approx(0.8 * 0.3 + 0.8 * 0.35 + 0.8 * 0.35)
    assert ranked[-1].rank_class is None
    assert ranked[-1].warning is None
    assert ranked[-1].rates.score == 0.0


def test_unit_type_parsing() -> None:
    assert parse_unit_type("Street") is UnitType.STREET
    assert UnitType.UTILITY.label == "公共服务企业"
    with pytest.raises(Invalid, match="单位类型"):
        parse_unit_type("village")


@given(st.lists(st.tuples(st.integers(0, 10), st.integers(1, 10)), max_size=20))
def test_ranks_are_monotone_in_score(shares: list[tuple[int, int]]) -> None:
    units = [UnitResult(i, f"u{i}", share(min(on, of), of)) for i, (on, of) in enumerate(shares)]
    ranked = rank_units(units)
    assert len(ranked) == len(units)
    for a, b in itertools.pairwise(ranked):
        assert a.rank is not None
        assert b.rank is not None
        assert a.rates.score >= b.rates.score - 1e-9
        assert (a.rank == b.rank) == (round(a.rates.score, 9) == round(b.rates.score, 9))
    if ranked:
        assert ranked[0].rank == 1
