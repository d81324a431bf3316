"""Volunteer service rules: the order workflow (点单 → 派单 → 接单 → 服务 → 确认 → 评价),
service hours (actual time, travel excluded), overlap detection, skills and certificate
numbers. Pure: no I/O, no clock (DOMAIN §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from civicgrid.errors import Invalid, InvalidTransition


class OrderStatus(StrEnum):
    """Where a resident's service order stands."""

    ORDERED = "ordered"
    ASSIGNED = "assigned"
    TAKEN = "taken"
    SERVED = "served"
    CONFIRMED = "confirmed"
    RATED = "rated"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return ORDER_STATUS_LABELS[self][0]

    @property
    def colour(self) -> str:
        return ORDER_STATUS_LABELS[self][1]


ORDER_STATUS_LABELS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.ORDERED: ("已点单", "blue"),
    OrderStatus.ASSIGNED: ("已派单", "blue"),
    OrderStatus.TAKEN: ("已接单", "yellow"),
    OrderStatus.SERVED: ("待居民确认", "yellow"),
    OrderStatus.CONFIRMED: ("已确认", "green"),
    OrderStatus.RATED: ("已评价", "green"),
    OrderStatus.CANCELLED: ("已取消", "grey"),
}


class OrderAction(StrEnum):
    """Steps of the order workflow."""

    ASSIGN = "assign"
    TAKE = "take"
    RECORD = "record"
    CONFIRM = "confirm"
    RATE = "rate"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return ORDER_ACTION_LABELS[self]


ORDER_ACTION_LABELS: dict[OrderAction, str] = {
    OrderAction.ASSIGN: "派单",
    OrderAction.TAKE: "接单",
    OrderAction.RECORD: "登记服务记录",
    OrderAction.CONFIRM: "确认服务",
    OrderAction.RATE: "评价",
    OrderAction.CANCEL: "取消",
}

OS = OrderStatus
OA = OrderAction

ORDER_TRANSITIONS: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (OS.ORDERED, OA.ASSIGN): OS.ASSIGNED,
    (OS.ASSIGNED, OA.ASSIGN): OS.ASSIGNED,  # re-assign to another team before anyone took it
    (OS.ASSIGNED, OA.TAKE): OS.TAKEN,
    (OS.TAKEN, OA.RECORD): OS.SERVED,
    (OS.SERVED, OA.CONFIRM): OS.CONFIRMED,
    (OS.CONFIRMED, OA.RATE): OS.RATED,
    (OS.ORDERED, OA.CANCEL): OS.CANCELLED,
    (OS.ASSIGNED, OA.CANCEL): OS.CANCELLED,
}


def next_order_status(status: OrderStatus, action: OrderAction) -> OrderStatus:
    """The status after ``action``; InvalidTransition (409) otherwise (e.g. a second 接单)."""
    target = ORDER_TRANSITIONS.get((status, action))
    if target is None:
        raise InvalidTransition(
            f"服务单处于“{status.label}”状态，不能“{action.label}” "
            f"(cannot {action.value} an order that is {status.value})"
        )
    return target


# --- hours --------------------------------------------------------------------------------------

MAX_RECORD_MINUTES = 24 * 60
MAX_TRAVEL_MINUTES = 12 * 60


@dataclass(frozen=True)
class Interval:
    """A span of service time of one volunteer (start inclusive, end exclusive)."""

    started_at: datetime
    ended_at: datetime
    ref: int = 0


def service_minutes(started_at: datetime, ended_at: datetime, travel_minutes: int) -> int:
    """Credited minutes: the span minus travel (travel never counts, DOMAIN §6 [V6]).

    Invalid when the end is not after the start, travel is negative, the span is longer than a
    day, or nothing is left after travel."""
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise Invalid("服务时间须带时区")
    if travel_minutes < 0:
        raise Invalid("路途时间不能为负数")
    if travel_minutes > MAX_TRAVEL_MINUTES:
        raise Invalid("路途时间过长（不超过 12 小时）")
    if ended_at <= started_at:
        raise Invalid("结束时间必须晚于开始时间")
    span = ended_at - started_at
    if span > timedelta(minutes=MAX_RECORD_MINUTES):
        raise Invalid("单次服务记录不能超过 24 小时")
    minutes = int(span.total_seconds() // 60) - travel_minutes
    if minutes <= 0:
        raise Invalid("扣除路途时间后服务时长必须大于零")
    return minutes


def hours_text(minutes: int) -> str:
    """Minutes shown as hours with up to two decimals: 90 → "1.5", 100 → "1.67"."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def overlaps(a: Interval, b: Interval) -> bool:
    """Whether two spans share any time (touching ends do not overlap)."""
    return a.started_at < b.ended_at and b.started_at < a.ended_at


def find_overlap(new: Interval, existing: Iterable[Interval]) -> Interval | None:
    """The first existing span of the same volunteer that ``new`` overlaps, else None."""
    for other in existing:
        if overlaps(new, other):
            return other
    return None


# --- ratings, skills, numbers ----------------------------------------------------------------

MIN_RATING = 1
MAX_RATING = 5


def check_rating(rating: int) -> None:
    if not MIN_RATING <= rating <= MAX_RATING:
        raise Invalid(f"评价星级应在 {MIN_RATING} 到 {MAX_RATING} 之间")


_SKILL_SPLIT = re.compile(r"[,，、;；\s]+")
MAX_SKILLS = 12
MAX_SKILL_LENGTH = 20


def normalise_skills(text_or_items: str | Iterable[str]) -> list[str]:
    """Skills as a clean list: split on commas/顿号/spaces, trimmed, unique, in order."""
    parts = (
        _SKILL_SPLIT.split(text_or_items)
        if isinstance(text_or_items, str)
        else [p for item in text_or_items for p in _SKILL_SPLIT.split(item)]
    )
    skills = list(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if len(skills) > MAX_SKILLS:
        raise Invalid(f"技能最多填写 {MAX_SKILLS} 项")
    if any(len(s) > MAX_SKILL_LENGTH for s in skills):
        raise Invalid(f"每项技能不超过 {MAX_SKILL_LENGTH} 个字")
    return skills


def volunteer_number(region_code: str, seq: int) -> str:
    """志愿者编号: the community code and a 5-digit sequence, e.g. ``V110105001001-00012``."""
    return f"V{region_code}-{seq:05d}"


def order_number(region_code: str, year: int, seq: int) -> str:
    """服务单号, e.g. ``FW110105001001-2026-0007``."""
    return f"FW{region_code}-{year}-{seq:04d}"


def certificate_number(region_code: str, year: int, seq: int) -> str:
    """证明编号, e.g. ``ZM110105001001-2026-0003`` (unique per issuing community and year)."""
    return f"ZM{region_code}-{year}-{seq:04d}"
