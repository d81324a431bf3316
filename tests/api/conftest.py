"""Fixtures for the API tests: the mini-territory with one persona per role, committed so the
app's own sessions see it. A test module that needs more in its world defines its own."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_world

from civicgrid.config import Settings


@pytest.fixture
def world(session: Session, now: datetime, settings: Settings) -> World:
    w = make_world(session, now=now, media_root=settings.media_dir)
    session.commit()
    return w
