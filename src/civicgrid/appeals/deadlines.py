"""Time limits of appeals (SLA) and deadline warnings. Pure: no I/O; time is always an argument.

Four urgency levels (DOMAIN §1.3, DB11/T 2021—2022) each have three limits:

* **dispatch** (派单) — counted from receipt;
* **response** (响应: sign *and* contact the caller) — counted from dispatch;
* **feedback** (反馈结果: the unit's reply) — counted from dispatch by default (the unit's clock
  starts when the order reaches it, as in 数字城管's 任务派遣, DOMAIN §3.1), or from receipt when
  the table says so (:attr:`SlaTable.feedback_from`).

Every limit is an amount in one :class:`LimitUnit`. What "N units from a start time" means:

* ``MINUTES`` / ``HOURS``: exactly that elapsed time, round the clock (the hotline works 7×24).
* ``CALENDAR_DAYS``: the end (23:59:59 Beijing time) of the N-th day after the start's Beijing
  date. The start day itself does not count, as for legal periods (民法典 第二百零一条: 开始的当日
  不计入，自下一日开始计算).
* ``WORKING_DAYS``: the end (23:59:59 Beijing time) of the N-th *working* day after the start's
  Beijing date, working days per :class:`~civicgrid.appeals.calendar.WorkingCalendar`. The start
  day does not count even when it is a working day; an order received on a Saturday of a 调休
  weekend that is a working day still starts counting on the next working day.

Results are timezone-aware UTC. An order is overdue when ``now > due``. The defaults marked ❓ in
DOMAIN §1.3 (response windows, L4 dispatch, calendar vs working days) are configurable PROPOSALs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from civicgrid.appeals.calendar import WorkingCalendar
from civicgrid.clock import BEIJING
from civicgrid.errors import Invalid

END_OF_DAY = time(23, 59, 59)


class LimitUnit(StrEnum):
    """How a time limit counts."""

    MINUTES = "minutes"
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"

    @property
    def label(self) -> str:
        return LIMIT_UNIT_LABELS[self]


LIMIT_UNIT_LABELS: dict[LimitUnit, str] = {
    LimitUnit.MINUTES: "分钟",
    LimitUnit.HOURS: "小时",
    LimitUnit.CALENDAR_DAYS: "个自然日",
    LimitUnit.WORKING_DAYS: "个工作日",
}


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """An amount of one unit, e.g. ``TimeLimit(7, LimitUnit.WORKING_DAYS)``."""

    amount: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError(f"a time limit must be at least 1 {self.unit}, got {self.amount}")

    @property
    def label(self) -> str:
        """Chinese text such as ``7个工作日``."""
        return f"{self.amount}{self.unit.label}"


def _h(n: int) -> TimeLimit:
    return TimeLimit(n, LimitUnit.HOURS)


class UrgencyLevel(StrEnum):
    """The four response levels of DB11/T 2021—2022 (DOMAIN §1.3)."""

    EMERGENCY = "emergency"
    UTILITY = "utility"
    GENERAL = "general"
    COMPLEX = "complex"

    @property
    def label(self) -> str:
        return URGENCY_LABELS[self]

    @property
    def code(self) -> str:
        """Short code L1–L4."""
        return f"L{list(UrgencyLevel).index(self) + 1}"


URGENCY_LABELS: dict[UrgencyLevel, str] = {
    UrgencyLevel.EMERGENCY: "一级·紧急",
    UrgencyLevel.UTILITY: "二级·水电气热",
    UrgencyLevel.GENERAL: "三级·一般",
    UrgencyLevel.COMPLEX: "四级·复杂疑难",
}


@dataclass(frozen=True, slots=True)
class SlaRule:
    """The limits of one level. ``dispatch=None`` means the level sets no dispatch limit."""

    dispatch: TimeLimit | None
    response: TimeLimit
    feedback: TimeLimit


class Anchor(StrEnum):
    """Which timestamp a feedback limit counts from."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"


@dataclass(frozen=True)
class SlaTable:
    """The configurable time-limit table; one rule per urgency level.

    Build a variant with :meth:`with_rule` (e.g. a city that counts 7 calendar days).
    """

    rules: Mapping[UrgencyLevel, SlaRule]
    whistle_arrival: TimeLimit = field(default_factory=lambda: TimeLimit(30, LimitUnit.MINUTES))
    feedback_from: Anchor = Anchor.DISPATCHED

    def __post_init__(self) -> None:
        missing = [lvl.value for lvl in UrgencyLevel if lvl not in self.rules]
        if missing:
            raise ValueError(f"SLA table lacks rules for levels {missing}")
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))

    def rule(self, level: UrgencyLevel) -> SlaRule:
        return self.rules[level]

    def with_rule(self, level: UrgencyLevel, rule: SlaRule) -> SlaTable:
        """A copy with the rule of ``level`` replaced."""
        return replace(self, rules={**self.rules, level: rule})


# DOMAIN §1.3. Dispatch and feedback figures are from DB11/T 2021—2022; the response windows, the
# missing L4 dispatch limit and "days = working days" are PROPOSALs (❓ in DOMAIN).
DEFAULT_SLA_TABLE = SlaTable(
    rules={
        UrgencyLevel.EMERGENCY: SlaRule(
            dispatch=_h(1), response=TimeLimit(30, LimitUnit.MINUTES), feedback=_h(2)
        ),
        UrgencyLevel.UTILITY: SlaRule(dispatch=_h(2), response=_h(1), feedback=_h(24)),
        UrgencyLevel.GENERAL: SlaRule(
            dispatch=_h(24), response=_h(24), feedback=TimeLimit(7, LimitUnit.WORKING_DAYS)
        ),
        UrgencyLevel.COMPLEX: SlaRule(
            dispatch=None, response=_h(24), feedback=TimeLimit(15, LimitUnit.WORKING_DAYS)
        ),
    }
)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def due_at(start: datetime, limit: TimeLimit, calendar: WorkingCalendar) -> datetime:
    """The deadline ``limit`` after ``start`` (see the module docstring), aware UTC."""
    _require_aware("start", start)
    if limit.unit is LimitUnit.MINUTES:
        return (start + timedelta(minutes=limit.amount)).astimezone(UTC)
    if limit.unit is LimitUnit.HOURS:
        return (start + timedelta(hours=limit.amount)).astimezone(UTC)
    local_day = start.astimezone(BEIJING).date()
    if limit.unit is LimitUnit.CALENDAR_DAYS:
        last_day = local_day + timedelta(days=limit.amount)
    else:
        last_day = calendar.add_working_days(local_day, limit.amount)
    return datetime.combine(last_day, END_OF_DAY, tzinfo=BEIJING).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The three deadlines of an order; None where the level sets no limit or the anchor
    (dispatch) has not happened yet."""

    dispatch_due: datetime | None
    response_due: datetime | None
    feedback_due: datetime | None


def deadlines_for(
    level: UrgencyLevel,
    *,
    received_at: datetime,
    dispatched_at: datetime | None,
    calendar: WorkingCalendar,
    table: SlaTable = DEFAULT_SLA_TABLE,
) -> Deadlines:
    """Deadlines of an order of ``level``. After an approved send-back the order is dispatched
    again: pass the new ``dispatched_at`` and the unit's clocks restart."""
    rule = table.rule(level)
    dispatch_due = due_at(received_at, rule.dispatch, calendar) if rule.dispatch else None
    if dispatched_at is None:
        return Deadlines(dispatch_due, None, None)
    feedback_start = received_at if table.feedback_from is Anchor.RECEIVED else dispatched_at
    return Deadlines(
        dispatch_due=dispatch_due,
        response_due=due_at(dispatched_at, rule.response, calendar),
        feedback_due=due_at(feedback_start, rule.feedback, calendar),
    )


def whistle_arrival_due(whistled_at: datetime, table: SlaTable = DEFAULT_SLA_TABLE) -> datetime:
    """When summoned departments must be on site (吹哨报到, default 30 minutes, DOMAIN §1.8)."""
    _require_aware("whistled_at", whistled_at)
    return (whistled_at + timedelta(minutes=_minutes(table.whistle_arrival))).astimezone(UTC)


def _minutes(limit: TimeLimit) -> int:
    if limit.unit is LimitUnit.MINUTES:
        return limit.amount
    if limit.unit is LimitUnit.HOURS:
        return limit.amount * 60
    raise ValueError("the whistle arrival limit must be in minutes or hours")


def extended_due(current_due: datetime, new_due: datetime, *, now: datetime) -> datetime:
    """Validate an extension's new deadline (延期): in the future and after the current one.

    Returns it as aware UTC; raises :class:`~civicgrid.errors.Invalid` otherwise.
    """
    _require_aware("new_due", new_due)
    if new_due <= now:
        raise Invalid(
            "新的办理时限必须晚于当前时间。",
            detail={"field": "new_due_at"},
        )
    if new_due <= current_due:
        raise Invalid(
            "新的办理时限必须晚于原办理时限。",
            detail={"field": "new_due_at"},
        )
    return new_due.astimezone(UTC)


def is_overdue(due: datetime, now: datetime) -> bool:
    """True once ``now`` is past ``due``."""
    return now > due


class WarningLevel(StrEnum):
    """红黄绿预警 of one deadline."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def label(self) -> str:
        return WARNING_LABELS[self]


WARNING_LABELS: dict[WarningLevel, str] = {
    WarningLevel.GREEN: "正常",
    WarningLevel.YELLOW: "临期",
    WarningLevel.RED: "超期",
}


@dataclass(frozen=True, slots=True)
class WarningThresholds:
    """Shares of the allowed time at which the warning changes colour.

    Yellow from ``yellow`` (default 0.8) of the time elapsed; red once overdue, or already from
    ``red`` of the time elapsed when ``red`` is set (e.g. 0.95).
    """

    yellow: float = 0.8
    red: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.yellow <= 1:
            raise ValueError(f"yellow threshold must be in (0, 1], got {self.yellow}")
        if self.red is not None and not self.yellow < self.red <= 1:
            raise ValueError(f"red threshold must be in (yellow, 1], got {self.red}")


DEFAULT_THRESHOLDS = WarningThresholds()


def elapsed_share(start: datetime, due: datetime, now: datetime) -> float:
    """Share of the allowed time ``[start, due]`` used at ``now`` (0 before start, >1 overdue)."""
    allowed = (due - start).total_seconds()
    if allowed <= 0:
        raise ValueError(f"due {due} must be after start {start}")
    return max(0.0, (now - start).total_seconds() / allowed)


def warning_level(
    start: datetime,
    due: datetime,
    now: datetime,
    thresholds: WarningThresholds = DEFAULT_THRESHOLDS,
) -> WarningLevel:
    """Green, yellow or red for a deadline running from ``start`` to ``due`` seen at ``now``.

    For a finished step pass the time it finished as ``now``; for a parked order the service
    decides whether the clock stands still (it is not computed here).
    """
    if is_overdue(due, now):
        return WarningLevel.RED
    share = elapsed_share(start, due, now)
    if thresholds.red is not None and share >= thresholds.red:
        return WarningLevel.RED
    if share >= thresholds.yellow:
        return WarningLevel.YELLOW
    return WarningLevel.GREEN
