"""Assessment periods: parsing, Beijing-local bounds and the previous period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.assessment.periods import (
    PeriodKind,
    local_date,
    month_period,
    parse_period,
)
from civicgrid.errors import Invalid


def test_month_bounds_are_beijing_midnights_in_utc() -> None:
    p = parse_period("2026-10")
    assert p.kind is PeriodKind.MONTH
    assert (p.first, p.last) == (date(2026, 10, 1), date(2026, 10, 31))
    assert p.start_utc == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert p.end_utc == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert p.label == "2026年10月"
    assert p.days == 31


def test_december_and_february() -> None:
    assert parse_period("2026-12").last == date(2026, 12, 31)
    assert parse_period("2028-02").last == date(2028, 2, 29)


def test_iso_week() -> None:
    p = parse_period("2026-W01")
    assert p.kind is PeriodKind.WEEK
    assert p.first == date(2025, 12, 29)
    assert p.last == date(2026, 1, 4)
    assert p.key == "2026-W01"


def test_custom_range() -> None:
    p = parse_period("2026-10-05..2026-10-11")
    assert p.kind is PeriodKind.CUSTOM
    assert p.days == 7
    assert p.previous().key == "2026-09-28..2026-10-04"


def test_previous_periods() -> None:
    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2026-W01").previous().key == "2025-W52"
    assert parse_period("2026-03").previous().last == date(2026, 2, 28)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026",
        "2026-13",
        "2026-00",
        "2026-W54",
        "2025-W53",
        "26-10",
        "2026-10-32..2026-11-01",
        "2026-10-10..2026-10-01",
        "2026-01-01..2027-12-31",
        "next month",
        "9999-12",
        "0001-W01",
        "9999-12-01..9999-12-31",
    ],
)
def test_bad_periods_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(Invalid, match="考核周期"):
        parse_period(text)


def test_local_date_crosses_midnight_in_beijing() -> None:
    assert local_date(datetime(2026, 10, 31, 15, 59, tzinfo=UTC)) == date(2026, 10, 31)
    assert local_date(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == date(2026, 11, 1)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 10, 31, 16, 0))  # noqa: DTZ001 - the refusal under test


@given(st.integers(2000, 2100), st.integers(1, 12))
def test_months_tile_time(year: int, month: int) -> None:
    p = month_period(year, month)
    nxt = month_period(p.last.year + (p.last.month == 12), p.last.month % 12 + 1)
    assert p.end_utc == nxt.start_utc
    assert nxt.previous() == p
    assert p.start_utc.tzinfo is not None


@given(
    st.datetimes(
        min_value=datetime(2001, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2099, 1, 1),  # noqa: DTZ001
    )
)
def test_every_instant_falls_in_exactly_its_month(naive: datetime) -> None:
    at = naive.replace(tzinfo=UTC)
    day = local_date(at)
    p = month_period(day.year, day.month)
    assert p.start_utc <= at < p.end_utc
    assert p.contains(day)
    assert not p.previous().contains(day)
    assert p.end_utc - p.start_utc == timedelta(days=p.days)
