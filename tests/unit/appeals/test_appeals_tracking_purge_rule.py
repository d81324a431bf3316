"""The retention rule of failed tracking attempts: never shorter than the counting window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from civicgrid.appeals.self_service_rules import (
    TRACKING_FAILURE_RETENTION,
    TRACKING_WINDOW,
    tracking_purge_cutoff,
    tracking_window_start,
)
from civicgrid.errors import Invalid

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_default_retention_is_the_window() -> None:
    assert TRACKING_FAILURE_RETENTION == TRACKING_WINDOW
    assert tracking_purge_cutoff(NOW) == tracking_window_start(NOW)


def test_longer_retention_moves_the_cutoff_back() -> None:
    assert tracking_purge_cutoff(NOW, timedelta(days=7)) == NOW - timedelta(days=7)


@pytest.mark.parametrize("retention", [timedelta(0), TRACKING_WINDOW - timedelta(seconds=1)])
def test_retention_shorter_than_the_window_is_refused(retention: timedelta) -> None:
    with pytest.raises(Invalid) as caught:
        tracking_purge_cutoff(NOW, retention)
    assert caught.value.status_code == 422
    assert caught.value.detail["field"] == "retention"
