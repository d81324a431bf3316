"""Analysis periods of proactive governance (统计周期): a month (``2026-10``) or a range of days
(``2026-10-01..2026-10-15``), in Beijing dates. Pure: no I/O, no clock.

The period type (:class:`civicgrid.kit.periods.Period`) and its rules are shared with the
assessment; insight takes months and ranges, never weeks.
"""

from __future__ import annotations

from typing import Final

from civicgrid.kit.periods import Period
from civicgrid.kit.periods import parse_period as _parse

MAX_DAYS: Final = 366


def parse_period(text: str) -> Period:
    """``YYYY-MM`` or ``YYYY-MM-DD..YYYY-MM-DD``; :class:`Invalid` otherwise."""
    return _parse(text, label="统计周期", weeks=False, max_days=MAX_DAYS)
