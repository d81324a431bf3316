"""Bounds shared by every reporting period the console parses (assessment and insight)."""

from __future__ import annotations

from civicgrid.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 2200  # periods outside these years are typing mistakes


def check_years(label: str, text: str, first: int, last: int) -> None:
    """Invalid, naming the period by ``label`` (考核周期, 统计周期 …), unless the years
    ``first``..``last`` lie within :data:`FIRST_YEAR`..:data:`LAST_YEAR`."""
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise Invalid(f"{label}“{text}”无效：年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间")
