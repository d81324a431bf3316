"""Fixtures for the register integration tests: the mini territory with the tag catalogue."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import SYSTEM, MiniTerritory

from civicgrid.register import service


@pytest.fixture
def territory(session: Session, now: datetime) -> MiniTerritory:
    t = MiniTerritory(session, now)
    service.ensure_default_tags(session, actor=SYSTEM, now=now)
    return t
