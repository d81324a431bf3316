"""Human-readable appeal numbers (工单编号). Pure: format and parse only.

An appeal number is the Beijing-time date of receipt followed by that day's sequence number,
zero-padded to a fixed width (default 5): ``2026112400001`` is the first appeal received on
24 November 2026. Numbers sort in order of receipt and are read out over the phone digit by digit.

The per-day sequence itself (a database sequence or counter row that restarts each day) belongs
to the service; this module only turns ``(day, sequence)`` into text and back. Five digits allow
99 999 appeals a day, above Beijing's 2024 average (~62 000 a day, DOMAIN §1.9); a city that may
exceed it configures a wider ``width`` from the start, since changing it later breaks parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from civicgrid.errors import Invalid
from civicgrid.kit.periods import local_date

DEFAULT_WIDTH = 5
_DATE_DIGITS = 8


@dataclass(frozen=True, slots=True, order=True)
class AppealNumber:
    """A parsed appeal number; ``str()`` gives the text form back."""

    day: date
    sequence: int
    width: int = field(default=DEFAULT_WIDTH, compare=False)

    def __str__(self) -> str:
        return format_appeal_no(self.day, self.sequence, width=self.width)


def numbering_day(received_at: datetime) -> date:
    """The date an appeal received at ``received_at`` is numbered under (Beijing local date)."""
    return local_date(received_at)


def format_appeal_no(day: date, sequence: int, *, width: int = DEFAULT_WIDTH) -> str:
    """``YYYYMMDD`` + ``sequence`` zero-padded to ``width`` digits.

    Raises :class:`~civicgrid.errors.Invalid` when the sequence is not in ``1 .. 10**width - 1``.
    """
    if not 1 <= sequence < 10**width:
        raise Invalid(
            f"当日工单序号超出范围：{sequence}。",
            detail={"sequence": sequence, "width": width},
        )
    return f"{day.year:04d}{day.month:02d}{day.day:02d}{sequence:0{width}d}"


def parse_appeal_no(text: str, *, width: int = DEFAULT_WIDTH) -> AppealNumber:
    """Split an appeal number into day and sequence; surrounding spaces are ignored.

    Raises :class:`~civicgrid.errors.Invalid` for a wrong length, non-digits, an impossible date
    or sequence 0.
    """
    cleaned = text.strip()
    if not re.fullmatch(rf"\d{{{_DATE_DIGITS + width}}}", cleaned):
        raise Invalid(
            f"工单编号格式不正确：{text!r}。",
            detail={"field": "appeal_no"},
        )
    try:
        day = date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:_DATE_DIGITS]))
    except ValueError as exc:
        raise Invalid(
            f"工单编号中的日期无效：{text!r}。",
            detail={"field": "appeal_no"},
        ) from exc
    sequence = int(cleaned[_DATE_DIGITS:])
    if sequence == 0:
        raise Invalid(
            f"工单编号序号不能为0：{text!r}。",
            detail={"field": "appeal_no"},
        )
    return AppealNumber(day, sequence, width)
