"""Governance tasks (每月一题 problems adopted by a leader): statuses, transitions and the
before/after comparison of appeal volumes. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from civicgrid.errors import InvalidTransition

MAX_TASKS_PER_TOPIC: Final = 3
"""每月一题: one theme, 2–3 concrete problems a month (DOMAIN §1.7)."""


class TaskStatus(StrEnum):
    """Where a governance task stands; stored as its English code."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return TASK_STATUS_LABELS[self]


TASK_STATUS_LABELS: dict[TaskStatus, str] = {
    TaskStatus.PLANNED: "已立项",
    TaskStatus.IN_PROGRESS: "推进中",
    TaskStatus.COMPLETED: "已完成",
    TaskStatus.CANCELLED: "已撤销",
}

_ALLOWED: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PLANNED: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELLED}),
    TaskStatus.COMPLETED: frozenset({TaskStatus.IN_PROGRESS}),
    TaskStatus.CANCELLED: frozenset(),
}


def next_status(current: TaskStatus, wanted: TaskStatus) -> TaskStatus:
    """``wanted`` if the task may move there from ``current``; :class:`InvalidTransition`
    otherwise. A completed task may be reopened (back to in progress) when the problem
    returns; a cancelled one stays cancelled."""
    if wanted not in _ALLOWED[current]:
        raise InvalidTransition(f"治理任务不能从“{current.label}”改为“{wanted.label}”")
    return wanted


@dataclass(frozen=True, slots=True)
class VolumeComparison:
    """Mean monthly appeal volume before and after adoption, and the change."""

    before_months: int
    after_months: int
    before_mean: float | None
    after_mean: float | None
    change_pct: float | None


def compare_volumes(before: Sequence[int], after: Sequence[int]) -> VolumeComparison:
    """Compare the monthly counts before adoption with those after (the adoption month counts
    as after). Means are None for an empty side; the change is None unless both sides exist
    and the before mean is positive."""
    b = sum(before) / len(before) if before else None
    a = sum(after) / len(after) if after else None
    change = None
    if a is not None and b is not None and b > 0:
        change = round(100.0 * (a - b) / b, 2)
    return VolumeComparison(
        before_months=len(before),
        after_months=len(after),
        before_mean=None if b is None else round(b, 3),
        after_mean=None if a is None else round(a, 3),
        change_pct=change,
    )
