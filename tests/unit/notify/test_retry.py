"""Backoff of outbox retries: grows exponentially to the cap, jitter keeps at least half."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.notify.retry import RetryPolicy, backoff, is_exhausted

POLICY = RetryPolicy(max_attempts=5, base=timedelta(seconds=30), cap=timedelta(hours=1))


def test_without_jitter_the_wait_is_half_the_doubling_ceiling() -> None:
    waits = [backoff(POLICY, n, 0.0) for n in range(1, 9)]
    assert waits[:4] == [timedelta(seconds=s) for s in (15, 30, 60, 120)]
    assert waits[-1] == timedelta(minutes=30)  # half the cap


@given(failures=st.integers(min_value=1, max_value=200), draw=st.floats(0, 1, exclude_max=True))
def test_the_wait_stays_between_half_the_ceiling_and_the_cap(failures: int, draw: float) -> None:
    wait = backoff(POLICY, failures, draw)
    ceiling = min(POLICY.base * 2 ** min(failures - 1, 30), POLICY.cap)
    assert ceiling / 2 <= wait <= ceiling <= POLICY.cap


@given(failures=st.integers(min_value=1, max_value=20))
def test_waits_never_shrink_from_one_failure_to_the_next_at_worst_jitter(failures: int) -> None:
    assert backoff(POLICY, failures + 1, 0.0) >= backoff(POLICY, failures, 0.0)


def test_the_last_attempt_exhausts_the_policy() -> None:
    assert not is_exhausted(POLICY, 4)
    assert is_exhausted(POLICY, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "at least 1"),
        ({"base": timedelta(0)}, "base <= cap"),
        ({"base": timedelta(minutes=5), "cap": timedelta(minutes=1)}, "base <= cap"),
    ],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_draws_outside_the_unit_interval_are_refused() -> None:
    with pytest.raises(ValueError, match="draw"):
        backoff(POLICY, 1, 1.0)
    with pytest.raises(ValueError, match="counts from 1"):
        backoff(POLICY, 0, 0.5)
