"""Appeal numbers: date + daily sequence, formatted and parsed back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.appeals.numbering import (
    AppealNumber,
    format_appeal_no,
    numbering_day,
    parse_appeal_no,
)
from civicgrid.errors import Invalid


def test_format_example_from_the_issue() -> None:
    assert format_appeal_no(date(2026, 11, 24), 1) == "2026112400001"
    assert format_appeal_no(date(2026, 11, 24), 123, width=6) == "20261124000123"


def test_parse_example() -> None:
    parsed = parse_appeal_no(" 2026112400001 ")
    assert parsed == AppealNumber(date(2026, 11, 24), 1)
    assert str(parsed) == "2026112400001"
    assert str(parse_appeal_no("20261124000123", width=6)) == "20261124000123"


@pytest.mark.parametrize("sequence", [0, -1, 100_000])
def test_sequence_out_of_range(sequence: int) -> None:
    with pytest.raises(Invalid):
        format_appeal_no(date(2026, 11, 24), sequence)


@pytest.mark.parametrize(
    "text",
    ["", "202611240001", "20261124000012", "2026112400a01", "2026023000001", "2026112400000"],
)
def test_parse_refuses_malformed_numbers(text: str) -> None:
    with pytest.raises(Invalid):
        parse_appeal_no(text)


def test_numbering_day_is_the_beijing_date() -> None:
    assert numbering_day(datetime(2026, 11, 24, 15, 59, tzinfo=UTC)) == date(2026, 11, 24)
    assert numbering_day(datetime(2026, 11, 24, 16, 0, tzinfo=UTC)) == date(2026, 11, 25)
    with pytest.raises(ValueError, match="timezone-aware"):
        numbering_day(datetime(2026, 11, 24, 16, 0))  # noqa: DTZ001


@settings(deadline=None)
@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    sequence=st.integers(min_value=1, max_value=99_999),
)
def test_round_trip_and_order(day: date, sequence: int) -> None:
    text = format_appeal_no(day, sequence)
    assert len(text) == 13
    assert parse_appeal_no(text) == AppealNumber(day, sequence)


@settings(deadline=None)
@given(
    a=st.tuples(st.dates(), st.integers(min_value=1, max_value=99_999)),
    b=st.tuples(st.dates(), st.integers(min_value=1, max_value=99_999)),
)
def test_text_order_is_receipt_order(a: tuple[date, int], b: tuple[date, int]) -> None:
    ta, tb = format_appeal_no(*a), format_appeal_no(*b)
    assert (ta < tb) == (a < b)
