"""Fixtures for the assessment integration tests: the appeals world (mini-territory with one
persona per role) and helpers that walk appeals through the real use cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_world


@pytest.fixture
def world(session: Session, now: datetime, tmp_path: Path) -> World:
    return make_world(session, now=now, media_root=tmp_path / "media")
