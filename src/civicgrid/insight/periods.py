"""Analysis periods of proactive governance: a month (``2026-10``) or a range of days
(``2026-10-01..2026-10-15``), in Beijing dates. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid
from civicgrid.kit.periods import check_years

MAX_DAYS: Final = 366

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def day_start_utc(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Beijing."""
    return datetime.combine(day, time.min, tzinfo=BEIJING).astimezone(UTC)


def beijing_date(at: datetime) -> date:
    """The Beijing date of an aware instant."""
    return at.astimezone(BEIJING).date()


@dataclass(frozen=True, slots=True)
class InsightPeriod:
    """Beijing dates ``first``..``last`` (inclusive) and the text they were given as."""

    key: str
    first: date
    last: date

    @property
    def start_utc(self) -> datetime:
        return day_start_utc(self.first)

    @property
    def end_utc(self) -> datetime:
        """Exclusive end: the start of the day after ``last``."""
        return day_start_utc(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def is_month(self) -> bool:
        return _MONTH.match(self.key) is not None

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.first.year}年{self.first.month}月"
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"

    def previous(self) -> InsightPeriod:
        """The period of the same length just before (the previous month for a month)."""
        if self.is_month:
            prev = self.first - timedelta(days=1)
            return month(prev.year, prev.month)
        last = self.first - timedelta(days=1)
        first = last - timedelta(days=self.days - 1)
        return InsightPeriod(f"{first.isoformat()}..{last.isoformat()}", first, last)


def month(year: int, month_no: int) -> InsightPeriod:
    first = date(year, month_no, 1)
    nxt = date(year + 1, 1, 1) if month_no == 12 else date(year, month_no + 1, 1)
    return InsightPeriod(f"{year:04d}-{month_no:02d}", first, nxt - timedelta(days=1))


def parse_period(text: str) -> InsightPeriod:
    """``YYYY-MM`` or ``YYYY-MM-DD..YYYY-MM-DD``; :class:`Invalid` otherwise."""
    raw = (text or "").strip()
    if m := _MONTH.match(raw):
        year, month_no = int(m[1]), int(m[2])
        if not 1 <= month_no <= 12 or year < 1:
            raise Invalid(f"统计周期“{text}”无效：月份应在 01–12 之间")
        check_years("统计周期", text, year, year)
        return month(year, month_no)
    if m := _RANGE.match(raw):
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError:
            raise Invalid(f"统计周期“{text}”无效：日期不存在") from None
        check_years("统计周期", text, first.year, last.year)
        if last < first:
            raise Invalid(f"统计周期“{text}”无效：结束日期早于开始日期")
        if (last - first).days + 1 > MAX_DAYS:
            raise Invalid(f"统计周期“{text}”过长：最长 {MAX_DAYS} 天")
        return InsightPeriod(raw, first, last)
    raise Invalid(f"统计周期“{text}”无效：应为 YYYY-MM（如 2026-10）或 YYYY-MM-DD..YYYY-MM-DD")
