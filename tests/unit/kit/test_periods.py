"""One period parser serves the assessment (考核周期) and proactive governance (统计周期)."""

from __future__ import annotations

from datetime import date

import pytest

from civicgrid.assessment.periods import parse_period as assessment_period
from civicgrid.errors import Invalid
from civicgrid.insight.periods import parse_period as insight_period
from civicgrid.kit.periods import PeriodKind


def test_both_read_months_and_ranges_alike() -> None:
    for parse in (assessment_period, insight_period):
        month = parse(" 2026-3 ")
        assert (month.kind, month.key, month.last) == (
            PeriodKind.MONTH,
            "2026-03",
            date(2026, 3, 31),
        )
        assert month.is_month
        assert month.label == "2026年3月"
        days = parse("2026-10-01..2026-10-15")
        assert days.kind is PeriodKind.CUSTOM
        assert days.days == 15
        assert days.previous().key == "2026-09-16..2026-09-30"


def test_weeks_are_assessment_periods_only() -> None:
    week = assessment_period("2026-W43")
    assert (week.first, week.last, week.label) == (
        date(2026, 10, 19),
        date(2026, 10, 25),
        "2026年第43周",
    )
    with pytest.raises(Invalid, match="统计周期“2026-W43”无效：应为 YYYY-MM") as caught:
        insight_period("2026-W43")
    assert "ISO 周" not in caught.value.message


def test_errors_name_the_period_of_each_use() -> None:
    with pytest.raises(Invalid, match=r"考核周期.*最长 366 天"):
        assessment_period("2025-01-01..2026-12-31")
    with pytest.raises(Invalid, match=r"统计周期.*年份应在 1900–2200"):
        insight_period("2201-01")
