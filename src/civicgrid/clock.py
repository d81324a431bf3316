"""The one place that reads the wall clock.

Services receive ``now`` (or a :class:`Clock`) as an argument; tests freeze or advance a
:class:`FrozenClock`. Timestamps are timezone-aware UTC in storage and Asia/Shanghai on screen.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Something that tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; for tests and deterministic demo data."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)


def monotonic() -> float:
    """Seconds from an arbitrary origin, for measuring durations (benchmarks, jobs)."""
    return _time.perf_counter()


def to_beijing(at: datetime) -> datetime:
    """Convert an aware timestamp to Beijing time for display."""
    return at.astimezone(BEIJING)
