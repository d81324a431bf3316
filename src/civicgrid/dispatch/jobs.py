"""Dispatch's periodic work, as plain functions the job registry wraps (this package does not
import the job runner)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.config import Settings, get_settings
from civicgrid.dispatch import service
from civicgrid.dispatch.classifier import TrainConfig

AUTO_ROUTE_INTERVAL = timedelta(minutes=1)
RETRAIN_INTERVAL = timedelta(days=7)


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


def retrain(session: Session, now: datetime, settings: Settings | None = None) -> object:
    """Job ``dispatch.retrain`` (weekly): train a candidate on closed appeals and dispatchers'
    corrections and promote it only when it is not worse than the current model on the most
    recent labelled appeals (see :mod:`.service.retrain`), once a week after the current
    model was trained, and never before a first model exists. The SVMs are fitted in this
    process (``n_jobs=1``): the job may run inside the web server, which must not fork."""
    settings = settings or get_settings()
    not_now = service.retrain_due(settings.models_dir, now, RETRAIN_INTERVAL)
    if not_now is not None:
        return {"promoted": False, "reason": not_now}
    result = service.retrain(
        session, now=now, models_dir=settings.models_dir, config=TrainConfig(n_jobs=1)
    )
    return result.as_dict()
