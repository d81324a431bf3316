"""Trends, spikes and a seasonal forecast of appeal volumes. Pure: no I/O, no clock.

* **Weekly counts** per key (a category, a region, or both), Monday-based weeks of Beijing
  dates, with empty weeks filled with zeros.
* **Spikes**: a week is compared with its *baseline* — the median of the same weeks one and two
  years earlier (±1 week) scaled by how the level moved since (the trailing weeks now against
  the same trailing weeks a year before), or, with less than a year of history, the median of
  the trailing weeks. The spread is the median absolute deviation (MAD) of the trailing weeks,
  floored by the Poisson spread √baseline so that a series of constant small counts does not
  flag every extra appeal. A week is a spike when its robust z-score
  (count − baseline) / (1.4826·MAD) reaches the threshold and the count reaches a minimum.
  Median and MAD are not pulled by the spikes themselves, unlike mean and standard deviation.
* **Forecast** of next month's volume: the same month a year earlier times the recent level
  ratio (the last three months against the same three months a year before, clipped to
  [0.5, 2]); with less than fifteen months of history, the mean of the last three months.
  :func:`backtest` replays the forecast month by month over the last months of the history and
  reports the mean absolute percentage error (MAPE) next to that of the naive forecast
  ("next month = this month"), so a user can see whether the seasonal forecast earns its keep.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

SEASON_WEEKS: Final = 52
SEASON_MONTHS: Final = 12
MAD_SCALE: Final = 1.4826
"""MAD × 1.4826 estimates the standard deviation of normally distributed data."""


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def month_key(day: date) -> tuple[int, int]:
    return (day.year, day.month)


def next_month(key: tuple[int, int]) -> tuple[int, int]:
    year, month = key
    return (year + 1, 1) if month == SEASON_MONTHS else (year, month + 1)


def month_range(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    """Every month from ``first`` to ``last`` inclusive."""
    months: list[tuple[int, int]] = []
    key = first
    while key <= last:
        months.append(key)
        key = next_month(key)
    return months


def weekly_counts(
    events: Iterable[tuple[date, str]], *, first_week: date, last_week: date
) -> dict[str, list[int]]:
    """Counts per key per week from ``first_week`` to ``last_week`` (Mondays, inclusive);
    events outside the range are ignored. ``events`` are (Beijing date, key) pairs."""
    first, last = week_start(first_week), week_start(last_week)
    n_weeks = (last - first).days // 7 + 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * n_weeks)
    for day, key in events:
        idx = (week_start(day) - first).days // 7
        if 0 <= idx < n_weeks:
            counts[key][idx] += 1
    return dict(counts)


def monthly_counts(
    events: Iterable[tuple[date, str]], *, first: tuple[int, int], last: tuple[int, int]
) -> dict[str, list[int]]:
    """Counts per key per month from ``first`` to ``last`` (inclusive)."""
    months = month_range(first, last)
    index = {m: i for i, m in enumerate(months)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    for day, key in events:
        i = index.get(month_key(day))
        if i is not None:
            counts[key][i] += 1
    return dict(counts)


@dataclass(frozen=True, slots=True)
class SpikeConfig:
    """Spike rule parameters."""

    trailing_weeks: int = 8
    min_reference: int = 4
    threshold: float = 3.5
    min_count: int = 5


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One week of a series: the count, its baseline and robust z-score (None while there is
    too little history), and whether it is a spike."""

    index: int
    count: int
    baseline: float | None
    z: float | None
    spike: bool


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _seasonal_reference(counts: Sequence[int], t: int) -> list[float]:
    ref: list[float] = []
    for years in (1, 2):
        centre = t - years * SEASON_WEEKS
        ref.extend(float(counts[k]) for k in (centre - 1, centre, centre + 1) if k >= 0)
    return ref


def baseline_at(counts: Sequence[int], t: int, config: SpikeConfig) -> tuple[float, float] | None:
    """(baseline, spread) for week ``t`` from the weeks before it; None without enough
    history."""
    trailing = [float(c) for c in counts[max(0, t - config.trailing_weeks) : t]]
    if len(trailing) < config.min_reference:
        return None
    level_now = _median(trailing)
    mad = _median([abs(c - level_now) for c in trailing])
    seasonal = _seasonal_reference(counts, t)
    baseline = level_now
    if t - SEASON_WEEKS - config.trailing_weeks >= 0 and seasonal:
        start = t - SEASON_WEEKS - config.trailing_weeks
        year_ago = [float(c) for c in counts[start : t - SEASON_WEEKS]]
        level_then = _median(year_ago)
        ratio = level_now / level_then if level_then > 0 else 1.0
        baseline = _median(seasonal) * min(max(ratio, 0.5), 2.0)
    spread = max(MAD_SCALE * mad, math.sqrt(max(baseline, 1.0)))
    return baseline, spread


def spike_flags(counts: Sequence[int], config: SpikeConfig | None = None) -> list[WeekPoint]:
    """Every week of ``counts`` with its baseline, z-score and spike flag."""
    config = config or SpikeConfig()
    points: list[WeekPoint] = []
    for t, count in enumerate(counts):
        ref = baseline_at(counts, t, config)
        if ref is None:
            points.append(WeekPoint(t, count, None, None, False))
            continue
        baseline, spread = ref
        z = (count - baseline) / spread
        spike = z >= config.threshold and count >= config.min_count
        points.append(WeekPoint(t, count, round(baseline, 3), round(z, 3), spike))
    return points


# --- forecast ------------------------------------------------------------------------------


LEVEL_MONTHS: Final = 3
RATIO_BOUNDS: Final = (0.5, 2.0)


def forecast_next(history: Sequence[float]) -> float:
    """Next month's volume from the monthly ``history`` (oldest first); see the module
    docstring. Never negative."""
    n = len(history)
    if n == 0:
        return 0.0
    recent = history[-LEVEL_MONTHS:]
    mean_recent = sum(recent) / len(recent)
    if n < SEASON_MONTHS + LEVEL_MONTHS:
        return max(mean_recent, 0.0)
    same_month = history[n - SEASON_MONTHS]
    before = sum(history[n - SEASON_MONTHS - LEVEL_MONTHS : n - SEASON_MONTHS])
    if same_month <= 0 or before <= 0:
        return max(mean_recent, 0.0)
    ratio = min(max(sum(recent) / before, RATIO_BOUNDS[0]), RATIO_BOUNDS[1])
    return max(same_month * ratio, 0.0)


def forecast_method(n_months: int) -> str:
    """Which rule :func:`forecast_next` applies to a history of ``n_months`` months."""
    if n_months >= SEASON_MONTHS + LEVEL_MONTHS:
        return "seasonal"
    return "recent_mean" if n_months > 0 else "none"


@dataclass(frozen=True, slots=True)
class Backtest:
    """Replay of the forecast over the last ``len(points)`` months: (index, actual, forecast,
    naive) per month, and the MAPE of both (None when every actual was zero)."""

    points: tuple[tuple[int, float, float, float], ...]
    mape: float | None
    naive_mape: float | None


def _mape(pairs: Iterable[tuple[float, float]]) -> float | None:
    errors = [abs(f - a) / a for a, f in pairs if a > 0]
    return round(100.0 * sum(errors) / len(errors), 2) if errors else None


def backtest(history: Sequence[float], *, months: int = 6) -> Backtest:
    """Forecast each of the last ``months`` months from the months before it."""
    n = len(history)
    start = max(1, n - months)
    points = tuple(
        (t, float(history[t]), round(forecast_next(history[:t]), 3), float(history[t - 1]))
        for t in range(start, n)
    )
    return Backtest(
        points=points,
        mape=_mape((a, f) for _, a, f, _ in points),
        naive_mape=_mape((a, nv) for _, a, _, nv in points),
    )


def pooled_mape(backtests: Iterable[Backtest]) -> tuple[float | None, float | None]:
    """MAPE of the forecast and of the naive rule over the points of several backtests."""
    pts = [p for b in backtests for p in b.points]
    return _mape((a, f) for _, a, f, _ in pts), _mape((a, nv) for _, a, _, nv in pts)
