"""Reporting periods of the console: a month (``2026-10``), an ISO week (``2026-W43``) or a
range of days (``2026-10-01..2026-10-15``). Pure: no I/O, no clock.

A period is a closed range of **Beijing local dates**; its UTC bounds are the instants at which
the first day starts and the day after the last day starts in Asia/Shanghai. Assessment
(考核周期, all three forms) and proactive governance (统计周期, months and ranges) parse their
periods here with their own name and limits (see :func:`parse_period`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 2200  # periods outside these years are typing mistakes

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class PeriodKind(StrEnum):
    MONTH = "month"
    WEEK = "week"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {"month": "月度", "week": "周", "custom": "自定义"}[self.value]


@dataclass(frozen=True, slots=True)
class Period:
    """A closed range of Beijing dates ``first``..``last`` with its canonical text ``key``."""

    kind: PeriodKind
    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def is_month(self) -> bool:
        return self.kind is PeriodKind.MONTH

    @property
    def start_utc(self) -> datetime:
        """The instant the first day begins in Beijing, in UTC."""
        return local_day_start(self.first)

    @property
    def end_utc(self) -> datetime:
        """The instant the day after the last day begins in Beijing, in UTC (exclusive)."""
        return local_day_start(self.last + timedelta(days=1))

    @property
    def label(self) -> str:
        """Chinese title of the period for reports."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.first.year}年{self.first.month}月"
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}年第{week}周"
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"

    def each_day(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def previous(self) -> Period:
        """The period just before: the previous month, the previous week, or a range of the
        same length ending the day before this one starts."""
        if self.kind is PeriodKind.MONTH:
            prev_last = self.first - timedelta(days=1)
            return month_period(prev_last.year, prev_last.month)
        if self.kind is PeriodKind.WEEK:
            year, week, _ = (self.first - timedelta(days=7)).isocalendar()
            return week_period(year, week)
        last = self.first - timedelta(days=1)
        return day_range(last - timedelta(days=self.days - 1), last)


def local_day_start(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Beijing."""
    return datetime.combine(day, time.min, tzinfo=BEIJING).astimezone(UTC)


def local_date(at: datetime) -> date:
    """The Beijing date of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime was given where a timezone-aware instant is needed")
    return at.astimezone(BEIJING).date()


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(PeriodKind.MONTH, f"{year:04d}-{month:02d}", first, nxt - timedelta(days=1))


def week_period(year: int, week: int) -> Period:
    first = date.fromisocalendar(year, week, 1)
    return Period(PeriodKind.WEEK, f"{year:04d}-W{week:02d}", first, first + timedelta(days=6))


def day_range(first: date, last: date) -> Period:
    return Period(PeriodKind.CUSTOM, f"{first.isoformat()}..{last.isoformat()}", first, last)


def check_years(label: str, text: str, first: int, last: int) -> None:
    """Invalid, naming the period by ``label`` (考核周期, 统计周期 …), unless the years
    ``first``..``last`` lie within :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise Invalid(f"{label}“{text}”无效：年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间")


def parse_period(text: str, *, label: str, weeks: bool, max_days: int) -> Period:
    """Parse ``YYYY-MM``, ``YYYY-Www`` (when ``weeks``) or ``YYYY-MM-DD..YYYY-MM-DD`` of at
    most ``max_days`` days; :class:`Invalid` (422) naming the period by ``label`` and the
    accepted forms otherwise."""
    raw = (text or "").strip()
    if m := _MONTH.match(raw):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise Invalid(f"{label}“{text}”无效：月份应在 01–12 之间")
        check_years(label, text, year, year)
        return month_period(year, month)
    if weeks and (m := _WEEK.match(raw)):
        year, week = int(m[1]), int(m[2])
        check_years(label, text, year, year)
        try:
            return week_period(year, week)
        except ValueError:
            raise Invalid(f"{label}“{text}”无效：{year} 年没有第 {week} 周") from None
    if m := _RANGE.match(raw):
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError:
            raise Invalid(f"{label}“{text}”无效：日期不存在") from None
        check_years(label, text, first.year, last.year)
        if last < first:
            raise Invalid(f"{label}“{text}”无效：结束日期早于开始日期")
        if (last - first).days + 1 > max_days:
            raise Invalid(f"{label}“{text}”无效：日期区间最长 {max_days} 天")
        return day_range(first, last)
    forms = "YYYY-MM（月，如 2026-10）"
    if weeks:
        forms += "、YYYY-Www（ISO 周）"
    raise Invalid(f"{label}“{text}”无效：应为 {forms}或 YYYY-MM-DD..YYYY-MM-DD（日期区间）")
