"""Assessment periods (考核周期): a month (``2026-10``), an ISO week (``2026-W43``) or a custom
range of days (``2026-10-01..2026-10-15``). Pure: no I/O, no clock.

The period type and its rules live in :mod:`civicgrid.kit.periods`, shared with proactive
governance. Every appeal is counted on the Beijing date of the timestamp that anchors it
(DOMAIN §1.6, docs/domain/assessment.md), so rollups keyed by local date add up to any period
exactly.
"""

from __future__ import annotations

from civicgrid.kit.periods import (
    Period,
    PeriodKind,
    local_date,
    local_day_start,
    month_period,
    week_period,
)
from civicgrid.kit.periods import parse_period as _parse

__all__ = [
    "MAX_CUSTOM_DAYS",
    "Period",
    "PeriodKind",
    "local_date",
    "local_day_start",
    "month_period",
    "parse_period",
    "week_period",
]

# A custom range may not be longer than this: rankings over years belong to yearly reports.
MAX_CUSTOM_DAYS = 366


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM``, ``YYYY-Www`` or ``YYYY-MM-DD..YYYY-MM-DD``; :class:`Invalid` (422)
    with a message naming the accepted forms otherwise."""
    return _parse(text, label="考核周期", weeks=True, max_days=MAX_CUSTOM_DAYS)
