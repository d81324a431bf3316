"""Working days: official data, 调休 make-up days, overrides and the weekday fallback."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.errors import Invalid

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up working day before the Spring Festival
        (date(2025, 1, 28), False),  # Spring Festival holiday (a Tuesday)
        (date(2025, 2, 8), True),  # Saturday, make-up working day after it
        (date(2025, 9, 28), True),  # Sunday, make-up working day before National Day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # Wednesday inside the National Day holiday
        (date(2025, 10, 11), True),  # Saturday, make-up working day after it
        (date(2026, 11, 24), True),  # an ordinary Tuesday
        (date(2026, 11, 28), False),  # an ordinary Saturday
    ],
)
def test_official_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working
    assert CAL.is_official(day)


def test_overrides_take_precedence_over_official_data() -> None:
    cal = WorkingCalendar({date(2025, 1, 26): False, date(2026, 11, 28): True})
    assert not cal.is_working_day(date(2025, 1, 26))
    assert cal.is_working_day(date(2026, 11, 28))
    assert cal.next_working_day(date(2025, 1, 24)) == date(2025, 1, 27)


def test_with_overrides_layers_on_top_and_keeps_the_original() -> None:
    base = WorkingCalendar({date(2027, 1, 1): False})
    layered = base.with_overrides({date(2027, 1, 1): True, date(2027, 2, 10): False})
    assert not base.is_working_day(date(2027, 1, 1))
    assert layered.is_working_day(date(2027, 1, 1))
    assert dict(layered.overrides) == {date(2027, 1, 1): True, date(2027, 2, 10): False}


def test_outside_the_known_years_the_weekday_rule_applies() -> None:
    friday = date(2027, 1, 1)  # New Year's Day: the fallback wrongly says "working"
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(friday)
    assert CAL.is_working_day(friday)
    assert not CAL.is_official(friday)
    assert not CAL.is_working_day(date(2027, 1, 2))  # Saturday
    assert WorkingCalendar({friday: False}).is_official(friday)
    assert CAL.next_working_day(friday) == date(2027, 1, 4)


def test_add_working_days_skips_the_spring_festival() -> None:
    start = date(2025, 1, 24)  # Friday before the 2025 Spring Festival
    assert CAL.add_working_days(start, 1) == date(2025, 1, 26)
    assert CAL.add_working_days(start, 2) == date(2025, 1, 27)
    assert CAL.add_working_days(start, 3) == date(2025, 2, 5)
    assert CAL.add_working_days(start, 6) == date(2025, 2, 8)


def test_add_working_days_across_national_day_2025() -> None:
    start = date(2025, 9, 26)
    assert [CAL.add_working_days(start, n) for n in range(1, 6)] == [
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
    ]


def test_count_must_be_positive() -> None:
    with pytest.raises(Invalid):
        CAL.add_working_days(date(2026, 1, 5), 0)


def test_an_override_table_without_working_days_is_reported() -> None:
    start = date(2026, 1, 1)
    everything_off = {start + timedelta(days=i): False for i in range(1, 400)}
    with pytest.raises(Invalid, match="节假日调整表"):
        WorkingCalendar(everything_off).next_working_day(start)


@settings(deadline=None)
@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    count=st.integers(min_value=1, max_value=30),
)
def test_add_working_days_counts_exactly_count_working_days(day: date, count: int) -> None:
    end = CAL.add_working_days(day, count)
    assert end > day
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(day, end) == count
    assert CAL.working_days_between(day, end - timedelta(days=1)) == count - 1


def test_working_days_between_is_zero_for_empty_ranges() -> None:
    assert CAL.working_days_between(date(2026, 1, 5), date(2026, 1, 5)) == 0
    assert CAL.working_days_between(date(2026, 1, 6), date(2026, 1, 5)) == 0
