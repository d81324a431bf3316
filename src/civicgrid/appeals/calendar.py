"""Working days in mainland China. Pure: no I/O, no clock.

Whether a date is a working day is decided, in this order:

1. the **override table** given to :class:`WorkingCalendar` (``{date: is_working_day}``), edited
   by an administrator when the State Council publishes next year's arrangement before the
   installed ``chinese-calendar`` knows it, or for a local exception;
2. **chinese-calendar**, which knows the official public holidays and the 调休 make-up working
   days (weekends that are working days) for the years it was released with;
3. for years chinese-calendar does not know (it raises ``NotImplementedError`` outside its range,
   2004–2026 for version 1.11), the **weekday rule**: Monday to Friday work, Saturday and Sunday
   rest. This fallback is wrong on public holidays, so load the overrides for a new year as soon
   as the arrangement is published; :meth:`WorkingCalendar.is_official` tells whether a date was
   decided from official data or override rather than by the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar

from civicgrid.errors import Invalid

# A year never has more than a few consecutive rest days (Spring Festival: 8–9); a search longer
# than this means the override table marks (nearly) everything as rest, which is a data error.
_MAX_SEARCH_DAYS = 366
_SATURDAY = 5  # date.weekday(): Monday is 0


@lru_cache(maxsize=8192)
def _official(day: date) -> bool | None:
    """chinese-calendar's answer for ``day``, None for a year it does not know. Memoised: the
    data ships with the installed package, so the answer never changes within a process."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


class WorkingCalendar:
    """Answers "is this a working day?" for Beijing local dates.

    >>> cal = WorkingCalendar({date(2026, 11, 24): False})
    >>> cal.is_working_day(date(2026, 11, 24))
    False
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides: Mapping[date, bool] = MappingProxyType(dict(overrides or {}))

    @property
    def overrides(self) -> Mapping[date, bool]:
        """The override table (read-only)."""
        return self._overrides

    def with_overrides(self, overrides: Mapping[date, bool]) -> WorkingCalendar:
        """A new calendar whose overrides are these on top of the current ones."""
        return WorkingCalendar({**self._overrides, **overrides})

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is a working day (override, then official data, then weekday)."""
        override = self._overrides.get(day)
        if override is not None:
            return override
        official = _official(day)
        if official is None:
            return day.weekday() < _SATURDAY
        return official

    def is_official(self, day: date) -> bool:
        """True when ``day`` is decided by the override table or chinese-calendar's data, False
        when only the weekday fallback applies."""
        return day in self._overrides or _official(day) is not None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day
        for _ in range(_MAX_SEARCH_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise Invalid(
            f"{day} 之后一年内没有工作日，请检查节假日调整表。",
            detail={"day": day.isoformat()},
        )

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day strictly after ``day`` (``day`` itself never counts).

        ``count`` must be at least 1.
        """
        if count < 1:
            raise Invalid(
                f"工作日数须为正数：{count}。",
                detail={"count": count},
            )
        current = day
        for _ in range(count):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in ``(start, end]``; 0 when ``end <= start``."""
        total = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                total += 1
        return total
