"""The dashboard trend ends at today: days still to come are not plotted as zeros."""

from __future__ import annotations

from datetime import date

from civicgrid.assessment.periods import parse_period
from civicgrid.web.dashboard.figures import trend_days


def test_a_running_month_ends_at_today() -> None:
    days = trend_days(parse_period("2026-11"), date(2026, 11, 24))
    assert days[0] == date(2026, 11, 1)
    assert days[-1] == date(2026, 11, 24)
    assert len(days) == 24


def test_a_past_month_keeps_every_day() -> None:
    assert len(trend_days(parse_period("2026-10"), date(2026, 11, 24))) == 31


def test_a_future_period_has_no_days() -> None:
    assert trend_days(parse_period("2026-12"), date(2026, 11, 24)) == []
