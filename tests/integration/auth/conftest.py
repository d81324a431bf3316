"""Fixtures for the auth integration tests: the mini territory."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.auth import MiniTerritory


@pytest.fixture
def territory(session: Session, now: datetime) -> MiniTerritory:
    return MiniTerritory(session, now)
