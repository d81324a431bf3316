"""Dispatch's periodic work, as plain functions the job registry wraps (this package does not
import the job runner)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.config import Settings, get_settings
from civicgrid.dispatch import service

AUTO_ROUTE_INTERVAL = timedelta(minutes=1)


def auto_route(session: Session, now: datetime, settings: Settings | None = None) -> object:
    """Job ``dispatch.auto_route``: classify, locate and route the appeals accepted for
    dispatch that automatic routing has not tried yet with the current model version (see
    :mod:`.service.auto_route`), with the thresholds and the model directory of the
    settings."""
    settings = settings or get_settings()
    result = service.route_new_appeals(
        session,
        now=now,
        models_dir=settings.models_dir,
        policy=service.policy_from_settings(settings),
    )
    return result.as_dict()
