"""Fixtures for the outbound-event tests: the mini-territory and a webhook receiver on
loopback that checks signatures with the subscription's secret, on the test's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_world
from tests.builders.events import Receiver, running_receiver

from civicgrid.clock import FrozenClock


@pytest.fixture
def world(session: Session, now: datetime, tmp_path: Path) -> World:
    return make_world(session, now=now, media_root=tmp_path / "media")


@pytest.fixture
def receiver(clock: FrozenClock) -> Iterator[Receiver]:
    with running_receiver(Receiver(now=lambda: int(clock.now().timestamp()))) as r:
        yield r
