"""GB 11643 ID numbers: check character, birth date and gender extraction, rejections."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.register import idcard

# A published example number (GB 11643 annex) and one whose check character is X.
VALID = "11010519491231002X"


def test_check_char_matches_the_published_example() -> None:
    assert idcard.check_char("11010519491231002") == "X"
    assert idcard.check_char("44052418800101001") == "4"


def test_parse_extracts_birth_date_gender_and_area() -> None:
    info = idcard.parse(VALID)
    assert info.birth_on == date(1949, 12, 31)
    assert info.gender == "F"
    assert info.area_code == "110105"


def test_lower_case_x_and_spaces_are_normalised() -> None:
    assert idcard.parse(" 11010519491231002x ").number == VALID


def test_odd_sequence_digit_is_male() -> None:
    number = idcard.make_number("110105", date(1990, 1, 1), 13)
    assert idcard.parse(number).gender == "M"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("11010519491231002", "18 位"),
        ("1101051949123100X2", "组成"),
        ("110105194912310021", "校验位"),
        ("110105194902300025", "出生日期"),
        ("910105194912310023", "地址码"),
        ("110105180001010012", "合理范围"),
    ],
)
def test_bad_numbers_are_rejected_with_a_reason(value: str, message: str) -> None:
    with pytest.raises(idcard.IdNumberError, match=message):
        idcard.parse(value)


def test_birth_in_the_future_is_rejected_when_today_is_given() -> None:
    number = idcard.make_number("110105", date(2030, 1, 1), 1)
    assert idcard.is_valid(number)
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(number, today=date(2026, 11, 24))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
    st.integers(min_value=0, max_value=999),
)
def test_made_numbers_are_valid_and_any_single_digit_change_is_caught(
    birth: date, seq: int
) -> None:
    number = idcard.make_number("320102", birth, seq)
    assert idcard.is_valid(number)
    assert idcard.parse(number).birth_on == birth
    # Changing the sequence digits (never the birth date) must break the check character.
    changed = number[:14] + str((int(number[14]) + 1) % 10) + number[15:]
    assert not idcard.is_valid(changed)
