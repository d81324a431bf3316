"""Order workflow, hours (travel excluded), overlap detection, skills and numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from civicgrid.errors import Invalid, InvalidTransition
from civicgrid.participation.volunteers import rules as r

OS = r.OrderStatus
OA = r.OrderAction
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def test_order_happy_path() -> None:
    status = OS.ORDERED
    for action in (OA.ASSIGN, OA.TAKE, OA.RECORD, OA.CONFIRM, OA.RATE):
        status = r.next_order_status(status, action)
    assert status is OS.RATED


def test_taking_twice_is_refused() -> None:
    taken = r.next_order_status(OS.ASSIGNED, OA.TAKE)
    with pytest.raises(InvalidTransition, match="接单"):
        r.next_order_status(taken, OA.TAKE)


@pytest.mark.parametrize("status", [OS.TAKEN, OS.SERVED, OS.CONFIRMED, OS.RATED, OS.CANCELLED])
def test_cancel_only_before_taking(status: OS) -> None:
    with pytest.raises(InvalidTransition):
        r.next_order_status(status, OA.CANCEL)


@given(hs.sampled_from(list(OS)), hs.sampled_from(list(OA)))
def test_rated_and_cancelled_orders_never_move(status: OS, action: OA) -> None:
    if status in (OS.RATED, OS.CANCELLED):
        with pytest.raises(InvalidTransition):
            r.next_order_status(status, action)


def test_minutes_exclude_travel() -> None:
    assert r.service_minutes(T0, T0 + 120 * M, 30) == 90
    assert r.service_minutes(T0, T0 + 45 * M, 0) == 45


@pytest.mark.parametrize(
    ("end_minutes", "travel", "message"),
    [
        (0, 0, "晚于开始"),
        (-10, 0, "晚于开始"),
        (60, -1, "负数"),
        (60, 60, "扣除路途"),
        (60, 13 * 60, "路途时间过长"),
        (24 * 60 + 1, 0, "24 小时"),
    ],
)
def test_bad_spans_are_invalid(end_minutes: int, travel: int, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        r.service_minutes(T0, T0 + end_minutes * M, travel)


def test_naive_times_are_invalid() -> None:
    with pytest.raises(Invalid):
        r.service_minutes(T0.replace(tzinfo=None), T0 + M, 0)


@given(
    hs.integers(min_value=1, max_value=24 * 60),
    hs.integers(min_value=0, max_value=12 * 60),
)
def test_credited_minutes_are_positive_and_never_exceed_the_span(span: int, travel: int) -> None:
    if travel >= span:
        with pytest.raises(Invalid):
            r.service_minutes(T0, T0 + span * M, travel)
    else:
        minutes = r.service_minutes(T0, T0 + span * M, travel)
        assert 0 < minutes <= span
        assert minutes == span - travel


def _iv(a: int, b: int) -> r.Interval:
    return r.Interval(T0 + a * M, T0 + b * M)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 60), (30, 90), True),
        ((0, 60), (60, 90), False),
        ((0, 60), (10, 20), True),
        ((10, 20), (0, 60), True),
        ((0, 60), (-30, 0), False),
        ((0, 60), (0, 60), True),
    ],
)
def test_overlap(a: tuple[int, int], b: tuple[int, int], expected: bool) -> None:
    assert r.overlaps(_iv(*a), _iv(*b)) is expected
    assert r.overlaps(_iv(*b), _iv(*a)) is expected


def test_find_overlap_returns_the_clashing_record() -> None:
    existing = [r.Interval(T0, T0 + 60 * M, 1), r.Interval(T0 + 120 * M, T0 + 180 * M, 2)]
    clash = r.find_overlap(_iv(150, 200), existing)
    assert clash is not None
    assert clash.ref == 2
    assert r.find_overlap(_iv(60, 120), existing) is None


@given(hs.integers(-500, 500), hs.integers(1, 300), hs.integers(-500, 500), hs.integers(1, 300))
def test_overlap_is_symmetric(a: int, la: int, b: int, lb: int) -> None:
    x, y = _iv(a, a + la), _iv(b, b + lb)
    assert r.overlaps(x, y) == r.overlaps(y, x)


def test_hours_text() -> None:
    assert r.hours_text(90) == "1.5"
    assert r.hours_text(120) == "2"
    assert r.hours_text(100) == "1.67"
    assert r.hours_text(0) == "0"


def test_skills_are_split_trimmed_and_unique() -> None:
    assert r.normalise_skills("维修， 陪护、维修 理发") == ["维修", "陪护", "理发"]
    assert r.normalise_skills(["助餐,助浴", "助餐"]) == ["助餐", "助浴"]
    with pytest.raises(Invalid):
        r.normalise_skills([f"技能{i}" for i in range(13)])


def test_numbers() -> None:
    assert r.volunteer_number("110105001001", 12) == "V110105001001-00012"
    assert r.order_number("110105001001", 2026, 7) == "FW110105001001-2026-0007"
    assert r.certificate_number("110105001001", 2026, 3) == "ZM110105001001-2026-0003"


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_range(rating: int) -> None:
    with pytest.raises(Invalid):
        r.check_rating(rating)
