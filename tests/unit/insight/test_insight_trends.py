"""Weekly counts, robust spike flags and the seasonal forecast with its backtest, on
constructed series."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from civicgrid.insight import trends
from civicgrid.insight.trends import SpikeConfig, backtest, forecast_next, spike_flags


def test_weekly_counts_fill_empty_weeks_and_ignore_events_outside() -> None:
    events = [
        (date(2026, 10, 5), "water"),  # Monday
        (date(2026, 10, 11), "water"),  # Sunday, same week
        (date(2026, 10, 19), "water"),
        (date(2026, 10, 6), "noise"),
        (date(2026, 9, 1), "water"),  # before the range
    ]

    counts = trends.weekly_counts(
        events, first_week=date(2026, 10, 5), last_week=date(2026, 10, 19)
    )

    assert counts == {"water": [2, 0, 1], "noise": [1, 0, 0]}


def test_monthly_counts_cover_every_month() -> None:
    events = [(date(2025, 12, 3), "a"), (date(2026, 2, 1), "a")]

    assert trends.monthly_counts(events, first=(2025, 12), last=(2026, 2)) == {"a": [1, 0, 1]}


def _noisy(n: int, mean: float, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [max(0, round(rng.gauss(mean, math.sqrt(mean)))) for _ in range(n)]


def test_a_jump_far_above_the_recent_weeks_is_a_spike() -> None:
    counts = _noisy(20, 30, seed=1)
    counts[15] = 90

    points = spike_flags(counts)

    assert [p.index for p in points if p.spike] == [15]
    assert points[15].z is not None
    assert points[15].z > 3.5
    assert points[0].baseline is None  # no history yet


def test_the_spike_does_not_raise_the_baseline_of_the_following_weeks() -> None:
    counts = [30] * 12 + [120, 30, 30, 30]

    points = spike_flags(counts)

    assert points[12].spike
    assert points[13].baseline == pytest.approx(30.0)
    assert not any(p.spike for p in points[13:])


def test_small_counts_do_not_flag_every_extra_appeal() -> None:
    counts = [1, 0, 1, 1, 0, 1, 0, 1, 3, 1]

    assert not any(p.spike for p in spike_flags(counts))


def test_a_constant_series_with_a_modest_rise_is_not_a_spike() -> None:
    counts = [40] * 10 + [50]

    assert not spike_flags(counts)[-1].spike


def test_the_yearly_peak_is_expected_but_an_off_season_jump_is_not() -> None:
    # Two years of weekly counts: 20 a week, 60 during five winter weeks each year.
    year = [60 if 0 <= w < 5 else 20 for w in range(52)]
    counts = year + year + year[:10]
    counts[52 * 2 + 8] = 60  # a jump in a normally quiet week of the third year

    points = spike_flags(counts, SpikeConfig())

    winter_third_year = points[104 + 1 : 104 + 5]
    assert not any(p.spike for p in winter_third_year)
    assert points[104 + 8].spike


def _seasonal(
    months: int, *, level: float = 500, amplitude: float = 0.3, growth: float = 0.01
) -> list[float]:
    return [
        level * (1 + growth) ** t * (1 + amplitude * math.sin(2 * math.pi * t / 12))
        for t in range(months)
    ]


def test_forecast_follows_the_season_and_the_level() -> None:
    series = _seasonal(37)

    forecast = forecast_next(series[:36])

    assert forecast == pytest.approx(series[36], rel=0.05)


def test_short_histories_use_the_recent_mean() -> None:
    assert forecast_next([10, 20, 30, 40]) == pytest.approx(30.0)
    assert forecast_next([7]) == 7.0
    assert forecast_next([]) == 0.0
    assert trends.forecast_method(4) == "recent_mean"
    assert trends.forecast_method(15) == "seasonal"


def test_backtest_of_a_seasonal_series_beats_the_naive_forecast() -> None:
    result = backtest(_seasonal(36), months=12)

    assert len(result.points) == 12
    assert result.mape is not None
    assert result.naive_mape is not None
    assert result.mape < 5.0
    assert result.mape < result.naive_mape


def test_backtest_skips_zero_actuals_in_mape() -> None:
    result = backtest([0.0, 0.0, 0.0, 0.0], months=3)

    assert result.mape is None
    assert result.naive_mape is None


def test_pooled_mape_averages_every_point() -> None:
    a = backtest([10.0, 10.0, 10.0, 20.0], months=1)  # forecast 10, actual 20: 50 %
    b = backtest([10.0, 10.0, 10.0, 10.0], months=1)  # exact

    assert trends.pooled_mape([a, b]) == (25.0, 25.0)
