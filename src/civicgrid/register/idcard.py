"""Citizen ID numbers (公民身份号码, GB 11643-1999). Pure: no I/O, no clock.

Layout of the 18 characters: 6-digit address code (GB/T 2260) · 8-digit birth date YYYYMMDD ·
3-digit sequence (odd for men, even for women) · check character computed with ISO 7064
MOD 11-2 over the first 17 digits (``X`` stands for 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import mul

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
# First digit of a GB/T 2260 province code: 1 North … 6 North-west, 7 Taiwan, 8 HK/Macau.
_PROVINCE_FIRST = frozenset("12345678")


class IdNumberError(ValueError):
    """The text is not a valid citizen ID number; the message says why (Chinese)."""


@dataclass(frozen=True)
class IdInfo:
    """What an ID number tells: the normalised number, birth date, gender and area code."""

    number: str
    birth_on: date
    gender: str  # "M" or "F"
    area_code: str


def check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise IdNumberError("校验位计算需要 17 位数字")
    total = sum(map(mul, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    """Strip spaces and upper-case a trailing ``x``."""
    return value.strip().replace(" ", "").upper()


def parse(value: str, *, today: date | None = None) -> IdInfo:
    """Validate an 18-character ID number and extract its facts, or raise IdNumberError.

    ``today`` (when given) rejects birth dates in the future.
    """
    number = normalise(value)
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际 {len(number)} 位")
    if not _SHAPE.match(number):
        raise IdNumberError("身份证号只能由 17 位数字和 1 位数字或 X 组成")
    if number[0] not in _PROVINCE_FIRST:
        raise IdNumberError("身份证号的地址码无效")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError("身份证号中的出生日期无效") from exc
    if birth.year < 1900 or (today is not None and birth > today):
        raise IdNumberError("身份证号中的出生日期超出合理范围")
    expected = check_char(number[:17])
    if number[17] != expected:
        raise IdNumberError("身份证号校验位错误")
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number=number, birth_on=birth, gender=gender, area_code=number[:6])


def is_valid(value: str) -> bool:
    """Whether ``value`` is a well-formed ID number with a correct check character."""
    try:
        parse(value)
    except IdNumberError:
        return False
    return True


def make_number(area_code: str, birth_on: date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests): area code, birth date, 3-digit sequence
    (its parity gives the gender) and the computed check character."""
    if len(area_code) != 6 or not area_code.isdigit():
        raise IdNumberError("地址码应为 6 位数字")
    if not 0 <= sequence <= 999:
        raise IdNumberError("顺序码应在 000–999 之间")
    first17 = f"{area_code}{birth_on:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
