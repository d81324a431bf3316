"""The Redis throttling store (CIVICGRID_REDIS_URL): counts shared by two processes' clients,
429 waits within the window. Runs against the real Redis server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy.orm import sessionmaker

from civicgrid.clock import FrozenClock
from civicgrid.errors import Throttled
from civicgrid.protect.throttle import Throttle, build_throttle

pytestmark = pytest.mark.redis

REDIS_URL = os.environ.get("CIVICGRID_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def family() -> Iterator[str]:
    """A counter family unique to the test; its keys are deleted afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"LIMITS:LIMITER/{name}/*"):
        client.delete(key)
    client.close()


def _redis_throttle(clock: FrozenClock) -> Throttle:
    """A throttle as a process configured with CIVICGRID_REDIS_URL builds it (the database
    session factory is not used by the Redis store, so it is left unbound)."""
    return build_throttle(
        redis_url=REDIS_URL, enabled=True, session_factory=sessionmaker(), clock=clock
    )


def test_two_clients_of_one_redis_count_together(clock: FrozenClock, family: str) -> None:
    first, second = _redis_throttle(clock), _redis_throttle(clock)
    assert first.storage is not second.storage
    assert first.hit(family, "10.0.0.1", "3/minute") is None
    assert second.hit(family, "10.0.0.1", "3/minute") is None
    assert first.hit(family, "10.0.0.1", "3/minute") is None
    retry_after = second.hit(family, "10.0.0.1", "3/minute")
    assert retry_after is not None
    assert 1 <= retry_after <= 60
    assert second.hit(family, "10.0.0.2", "3/minute") is None


def test_redis_test_clear_and_enforce(clock: FrozenClock, family: str) -> None:
    throttle = _redis_throttle(clock)
    assert throttle.test(family, "zhang", "1/minute") is None
    throttle.enforce(family, "zhang", "1/minute")
    with pytest.raises(Throttled):
        throttle.enforce(family, "zhang", "1/minute")
    throttle.clear(family, "zhang", "1/minute")
    assert throttle.test(family, "zhang", "1/minute") is None
