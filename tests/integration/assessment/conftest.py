"""Fixtures for the assessment integration tests: the appeals world (mini-territory with one
persona per role) and helpers that walk appeals through the real use cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, tmp_path: Path) -> World:
    return stored_world.attach(session, media_root=tmp_path / "media")
