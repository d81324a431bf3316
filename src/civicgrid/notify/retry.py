"""When a failed outbox message is tried again: exponential backoff with jitter.

Pure: no I/O, no clock, no randomness of its own (the caller passes the random draw).

The wait before attempt ``n + 1`` (after ``n`` failures) doubles with each failure from
``base`` up to ``cap``; the jitter ("equal jitter") keeps at least half of that wait and draws
the other half at random, so receivers that come back after an outage are not hit by every
sender at the same instant, yet the waits still grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a channel retries."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=6)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("backoff needs 0 < base <= cap")


def is_exhausted(policy: RetryPolicy, attempts: int) -> bool:
    """True once ``attempts`` tries have failed and no further try is allowed."""
    return attempts >= policy.max_attempts


def backoff(policy: RetryPolicy, failures: int, draw: float) -> timedelta:
    """The wait after the ``failures``-th failure (1 = first); ``draw`` is uniform in [0, 1)."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    if not 0.0 <= draw < 1.0:
        raise ValueError("draw must lie in [0, 1)")
    # 2**n overflows timedelta long before the cap matters; stop doubling once past the cap.
    ceiling = policy.base * (1 << min(failures - 1, 30))
    ceiling = min(ceiling, policy.cap)
    half = ceiling / 2
    return half + half * draw
