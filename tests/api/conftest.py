"""Fixtures for the API tests: the mini-territory with one persona per role, committed so the
app's own sessions see it. A test module that needs more in its world defines its own."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World

from civicgrid.config import Settings


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, settings: Settings) -> World:
    return stored_world.attach(session, media_root=settings.media_dir)
