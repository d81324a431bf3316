"""Fixtures of the dispatch integration tests: personas on the mini-territory, the catalogue
loaded, and a trained model (trained once per test session)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World
from tests.integration.dispatch.helpers import load_catalogue, serve_water, train_model


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from civicgrid.clock import BEIJING

    return train_model(
        tmp_path_factory.mktemp("models"), datetime(2026, 11, 1, 9, 0, tzinfo=BEIJING)
    )


@pytest.fixture
def world(session: Session, now: datetime, stored_world: StoredWorld, tmp_path: Path) -> World:
    w = stored_world.attach(session, media_root=tmp_path / "media")
    load_catalogue(session, now)
    serve_water(session, w)
    return w
