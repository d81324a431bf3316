"""Time limits, due dates over working days, extensions and red/yellow/green warnings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.appeals.deadlines import (
    DEFAULT_SLA_TABLE,
    END_OF_DAY,
    Anchor,
    LimitUnit,
    SlaRule,
    SlaTable,
    TimeLimit,
    UrgencyLevel,
    WarningLevel,
    WarningThresholds,
    deadlines_for,
    due_at,
    elapsed_share,
    extended_due,
    is_overdue,
    warning_level,
    whistle_arrival_due,
)
from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid

CAL = WorkingCalendar()


def bj(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A Beijing-time instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)


# --- the table ------------------------------------------------------------------------------


def test_default_table_follows_domain_1_3() -> None:
    t = DEFAULT_SLA_TABLE
    assert t.rule(UrgencyLevel.EMERGENCY).dispatch == TimeLimit(1, LimitUnit.HOURS)
    assert t.rule(UrgencyLevel.EMERGENCY).feedback == TimeLimit(2, LimitUnit.HOURS)
    assert t.rule(UrgencyLevel.UTILITY).dispatch == TimeLimit(2, LimitUnit.HOURS)
    assert t.rule(UrgencyLevel.UTILITY).feedback == TimeLimit(24, LimitUnit.HOURS)
    assert t.rule(UrgencyLevel.GENERAL).dispatch == TimeLimit(24, LimitUnit.HOURS)
    assert t.rule(UrgencyLevel.GENERAL).feedback == TimeLimit(7, LimitUnit.WORKING_DAYS)
    assert t.rule(UrgencyLevel.COMPLEX).dispatch is None
    assert t.rule(UrgencyLevel.COMPLEX).feedback == TimeLimit(15, LimitUnit.WORKING_DAYS)
    assert t.whistle_arrival == TimeLimit(30, LimitUnit.MINUTES)
    assert [lvl.code for lvl in UrgencyLevel] == ["L1", "L2", "L3", "L4"]


def test_table_must_cover_every_level_and_is_read_only() -> None:
    rules = dict(DEFAULT_SLA_TABLE.rules)
    del rules[UrgencyLevel.COMPLEX]
    with pytest.raises(ValueError, match="complex"):
        SlaTable(rules=rules)
    with pytest.raises(TypeError):
        DEFAULT_SLA_TABLE.rules[UrgencyLevel.COMPLEX] = rules[UrgencyLevel.GENERAL]  # type: ignore[index]


def test_with_rule_replaces_one_level() -> None:
    calendar_days = SlaRule(
        dispatch=TimeLimit(24, LimitUnit.HOURS),
        response=TimeLimit(24, LimitUnit.HOURS),
        feedback=TimeLimit(7, LimitUnit.CALENDAR_DAYS),
    )
    table = DEFAULT_SLA_TABLE.with_rule(UrgencyLevel.GENERAL, calendar_days)
    assert table.rule(UrgencyLevel.GENERAL) is calendar_days
    assert DEFAULT_SLA_TABLE.rule(UrgencyLevel.GENERAL).feedback.unit is LimitUnit.WORKING_DAYS


def test_time_limit_amount_is_positive_and_labelled() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        TimeLimit(0, LimitUnit.HOURS)
    assert TimeLimit(15, LimitUnit.WORKING_DAYS).label == "15个工作日"
    assert TimeLimit(2, LimitUnit.HOURS).label == "2小时"


# --- due_at ---------------------------------------------------------------------------------


def test_hours_and_minutes_run_round_the_clock() -> None:
    start = bj(2025, 1, 28, 23, 30)  # inside the Spring Festival: hours still count
    assert due_at(start, TimeLimit(2, LimitUnit.HOURS), CAL) == bj(2025, 1, 29, 1, 30)
    assert due_at(start, TimeLimit(30, LimitUnit.MINUTES), CAL) == bj(2025, 1, 29, 0, 0)
    assert due_at(start, TimeLimit(2, LimitUnit.HOURS), CAL).tzinfo is UTC


def test_calendar_days_end_at_the_end_of_the_nth_local_day() -> None:
    # 17:00 UTC on the 24th is 01:00 on the 25th in Beijing: counting starts from the 25th.
    start = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    due = due_at(start, TimeLimit(7, LimitUnit.CALENDAR_DAYS), CAL)
    assert due == bj(2026, 12, 2, 23, 59, 59)
    assert due.tzinfo is UTC


def test_working_days_skip_holidays_and_count_make_up_days() -> None:
    seven = TimeLimit(7, LimitUnit.WORKING_DAYS)
    # Friday before the 2025 Spring Festival: 26 Jan (Sun, make-up), 27 Jan, 5–8 Feb (8 Feb Sat,
    # make-up), 10 Feb.
    assert due_at(bj(2025, 1, 24, 9, 0), seven, CAL) == bj(2025, 2, 10, 23, 59, 59)
    # The start day never counts, even on a working day at 00:01.
    one = TimeLimit(1, LimitUnit.WORKING_DAYS)
    assert due_at(bj(2026, 11, 24, 0, 1), one, CAL) == bj(2026, 11, 25, 23, 59, 59)
    # Received on Friday evening: due at the end of Monday.
    assert due_at(bj(2026, 11, 27, 20, 0), one, CAL) == bj(2026, 11, 30, 23, 59, 59)


def test_working_days_around_national_day_2025() -> None:
    fifteen = TimeLimit(15, LimitUnit.WORKING_DAYS)
    due = due_at(bj(2025, 9, 26, 10, 0), fifteen, CAL)
    # 28, 29, 30 Sep; 9, 10, 11 (Sat, make-up), 13–17, 20–23 Oct.
    assert due == bj(2025, 10, 23, 23, 59, 59)


def test_holiday_overrides_move_working_day_deadlines() -> None:
    one = TimeLimit(1, LimitUnit.WORKING_DAYS)
    start = bj(2026, 11, 24, 10, 0)
    closed = WorkingCalendar({date(2026, 11, 25): False})
    assert due_at(start, one, closed) == bj(2026, 11, 26, 23, 59, 59)
    saturday_open = WorkingCalendar({date(2026, 11, 28): True})
    assert due_at(bj(2026, 11, 27, 9, 0), one, saturday_open) == bj(2026, 11, 28, 23, 59, 59)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(datetime(2026, 11, 24, 10, 0), TimeLimit(1, LimitUnit.HOURS), CAL)  # noqa: DTZ001


@settings(deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2026, 11, 30),  # noqa: DTZ001
        timezones=st.just(BEIJING),
    ),
    count=st.integers(min_value=1, max_value=20),
)
def test_working_day_deadlines_land_on_a_working_day(start: datetime, count: int) -> None:
    due = due_at(start, TimeLimit(count, LimitUnit.WORKING_DAYS), CAL)
    local = due.astimezone(BEIJING)
    assert local.time() == END_OF_DAY
    assert chinese_calendar.is_workday(local.date())
    assert CAL.working_days_between(start.astimezone(BEIJING).date(), local.date()) == count
    assert due > start


@settings(deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001
        max_value=datetime(2026, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    days=st.integers(min_value=1, max_value=30),
)
def test_calendar_day_deadlines_end_a_local_day(start: datetime, days: int) -> None:
    due = due_at(start, TimeLimit(days, LimitUnit.CALENDAR_DAYS), CAL).astimezone(BEIJING)
    assert due.time() == time(23, 59, 59)
    assert (due.date() - start.astimezone(BEIJING).date()).days == days


# --- deadlines of an order ------------------------------------------------------------------


def test_deadlines_before_and_after_dispatch() -> None:
    received = bj(2026, 11, 24, 10, 0)
    before = deadlines_for(
        UrgencyLevel.GENERAL, received_at=received, dispatched_at=None, calendar=CAL
    )
    assert before.dispatch_due == bj(2026, 11, 25, 10, 0)
    assert before.response_due is None
    assert before.feedback_due is None
    dispatched = bj(2026, 11, 24, 10, 5)
    after = deadlines_for(
        UrgencyLevel.GENERAL, received_at=received, dispatched_at=dispatched, calendar=CAL
    )
    assert after.response_due == bj(2026, 11, 25, 10, 5)
    assert after.feedback_due == bj(2026, 12, 3, 23, 59, 59)


def test_emergency_feedback_from_dispatch_or_from_receipt() -> None:
    received = bj(2026, 11, 24, 10, 0)
    dispatched = bj(2026, 11, 24, 10, 40)
    level = UrgencyLevel.EMERGENCY
    from_dispatch = deadlines_for(
        level, received_at=received, dispatched_at=dispatched, calendar=CAL
    )
    assert from_dispatch.dispatch_due == bj(2026, 11, 24, 11, 0)
    assert from_dispatch.response_due == bj(2026, 11, 24, 11, 10)
    assert from_dispatch.feedback_due == bj(2026, 11, 24, 12, 40)
    table = replace(DEFAULT_SLA_TABLE, feedback_from=Anchor.RECEIVED)
    from_receipt = deadlines_for(
        level, received_at=received, dispatched_at=dispatched, calendar=CAL, table=table
    )
    assert from_receipt.feedback_due == bj(2026, 11, 24, 12, 0)


def test_complex_appeals_have_no_dispatch_deadline() -> None:
    d = deadlines_for(
        UrgencyLevel.COMPLEX,
        received_at=bj(2026, 11, 24, 10, 0),
        dispatched_at=None,
        calendar=CAL,
    )
    assert d.dispatch_due is None


def test_whistle_arrival_default_thirty_minutes() -> None:
    assert whistle_arrival_due(bj(2026, 11, 24, 10, 0)) == bj(2026, 11, 24, 10, 30)
    hour = replace(DEFAULT_SLA_TABLE, whistle_arrival=TimeLimit(1, LimitUnit.HOURS))
    assert whistle_arrival_due(bj(2026, 11, 24, 10, 0), hour) == bj(2026, 11, 24, 11, 0)
    days = replace(DEFAULT_SLA_TABLE, whistle_arrival=TimeLimit(1, LimitUnit.CALENDAR_DAYS))
    with pytest.raises(ValueError, match="minutes or hours"):
        whistle_arrival_due(bj(2026, 11, 24, 10, 0), days)


# --- extensions -----------------------------------------------------------------------------


def test_extension_new_due_must_be_future_and_later() -> None:
    now = bj(2026, 11, 24, 10, 0)
    current = bj(2026, 11, 30, 23, 59, 59)
    new = bj(2026, 12, 10, 23, 59, 59)
    assert extended_due(current, new, now=now) == new
    assert extended_due(current, new, now=now).tzinfo is UTC
    with pytest.raises(Invalid, match="晚于原办理时限"):
        extended_due(current, current, now=now)
    with pytest.raises(Invalid, match="晚于当前时间"):
        extended_due(bj(2026, 11, 20), bj(2026, 11, 23), now=now)
    with pytest.raises(ValueError, match="timezone-aware"):
        extended_due(current, datetime(2026, 12, 10), now=now)  # noqa: DTZ001


# --- warnings -------------------------------------------------------------------------------

START = bj(2026, 11, 24, 10, 0)
DUE = START + timedelta(hours=10)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (timedelta(hours=-1), WarningLevel.GREEN),
        (timedelta(0), WarningLevel.GREEN),
        (timedelta(hours=7, minutes=59), WarningLevel.GREEN),
        (timedelta(hours=8), WarningLevel.YELLOW),
        (timedelta(hours=10), WarningLevel.YELLOW),
        (timedelta(hours=10, seconds=1), WarningLevel.RED),
        (timedelta(days=3), WarningLevel.RED),
    ],
)
def test_default_warning_levels(elapsed: timedelta, expected: WarningLevel) -> None:
    assert warning_level(START, DUE, START + elapsed) is expected


def test_configured_thresholds() -> None:
    early = WarningThresholds(yellow=0.5, red=0.9)
    assert warning_level(START, DUE, START + timedelta(hours=4), early) is WarningLevel.GREEN
    assert warning_level(START, DUE, START + timedelta(hours=5), early) is WarningLevel.YELLOW
    assert warning_level(START, DUE, START + timedelta(hours=9), early) is WarningLevel.RED
    assert WarningLevel.RED.label == "超期"


@pytest.mark.parametrize(("yellow", "red"), [(0.0, None), (1.2, None), (0.8, 0.7), (0.8, 1.5)])
def test_invalid_thresholds(yellow: float, red: float | None) -> None:
    with pytest.raises(ValueError, match="threshold"):
        WarningThresholds(yellow=yellow, red=red)


def test_elapsed_share_and_overdue() -> None:
    assert elapsed_share(START, DUE, START + timedelta(hours=5)) == pytest.approx(0.5)
    assert elapsed_share(START, DUE, START - timedelta(hours=5)) == 0.0
    assert not is_overdue(DUE, DUE)
    assert is_overdue(DUE, DUE + timedelta(microseconds=1))
    with pytest.raises(ValueError, match="after start"):
        elapsed_share(DUE, START, DUE)


@settings(deadline=None)
@given(
    minutes=st.integers(min_value=1, max_value=60 * 24 * 30),
    elapsed=st.integers(min_value=-1000, max_value=60 * 24 * 60),
)
def test_warning_is_monotonic_in_time(minutes: int, elapsed: int) -> None:
    due = START + timedelta(minutes=minutes)
    order = [WarningLevel.GREEN, WarningLevel.YELLOW, WarningLevel.RED]
    now = START + timedelta(minutes=elapsed)
    later = now + timedelta(minutes=1)
    assert order.index(warning_level(START, due, now)) <= order.index(
        warning_level(START, due, later)
    )
    assert (warning_level(START, due, now) is WarningLevel.RED) == is_overdue(due, now)
