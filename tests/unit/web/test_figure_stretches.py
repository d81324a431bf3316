"""The dashboard's periods are cut into closed months (cached) and the current month (live)."""

from __future__ import annotations

import itertools
from datetime import date

from civicgrid.assessment.periods import local_date, local_day_start, parse_period
from civicgrid.web.shared.figure_cache import stretches

TODAY = date(2026, 11, 24)


def test_the_current_month_is_one_live_stretch_and_nothing_is_cached() -> None:
    past, live = stretches(parse_period("2026-11"), TODAY)
    assert past == []
    assert live == (local_day_start(date(2026, 11, 1)), local_day_start(date(2026, 12, 1)))


def test_a_closed_month_is_one_cached_stretch() -> None:
    past, live = stretches(parse_period("2026-10"), TODAY)
    assert past == [(local_day_start(date(2026, 10, 1)), local_day_start(date(2026, 11, 1)))]
    assert live is None


def test_a_year_is_cut_at_every_month_and_the_stretches_cover_it_once() -> None:
    period = parse_period("2025-11-25..2026-11-24")
    past, live = stretches(period, TODAY)
    assert len(past) == 12  # 25-30 Nov 2025, Dec .. Oct
    assert live == (local_day_start(date(2026, 11, 1)), period.end_utc)
    bounds = [*past, live]
    assert bounds[0][0] == period.start_utc
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert all(local_date(start).day == 1 for start, _end in bounds[1:])
