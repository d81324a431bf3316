"""Governance-task statuses and the before/after comparison."""

from __future__ import annotations

import pytest

from civicgrid.errors import InvalidTransition
from civicgrid.insight.governance import TaskStatus, compare_volumes, next_status

S = TaskStatus


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.PLANNED, S.IN_PROGRESS),
        (S.PLANNED, S.CANCELLED),
        (S.IN_PROGRESS, S.COMPLETED),
        (S.IN_PROGRESS, S.CANCELLED),
        (S.COMPLETED, S.IN_PROGRESS),
    ],
)
def test_allowed_moves(current: TaskStatus, wanted: TaskStatus) -> None:
    assert next_status(current, wanted) is wanted


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.PLANNED, S.COMPLETED),
        (S.CANCELLED, S.IN_PROGRESS),
        (S.COMPLETED, S.CANCELLED),
        (S.IN_PROGRESS, S.IN_PROGRESS),
    ],
)
def test_refused_moves_name_both_statuses(current: TaskStatus, wanted: TaskStatus) -> None:
    with pytest.raises(InvalidTransition, match=current.label):
        next_status(current, wanted)


def test_every_status_has_a_chinese_label() -> None:
    assert {s.label for s in S} == {"已立项", "推进中", "已完成", "已撤销"}


def test_compare_volumes_reports_the_change_in_percent() -> None:
    result = compare_volumes([10, 20, 30], [10, 10])

    assert result.before_mean == 20.0
    assert result.after_mean == 10.0
    assert result.change_pct == -50.0
    assert (result.before_months, result.after_months) == (3, 2)


def test_compare_volumes_without_after_or_before_has_no_change() -> None:
    assert compare_volumes([5], []).change_pct is None
    assert compare_volumes([], [5]).before_mean is None
    assert compare_volumes([0, 0], [3]).change_pct is None
