"""The assessment's periodic work, as plain functions the job registry wraps (this package does
not import the job runner)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.assessment import service

REFRESH_INTERVAL = timedelta(minutes=1)


def refresh_rollup(session: Session, now: datetime) -> object:
    """Job ``assessment.refresh``: recompute the rollup rows touched by appeals changed since
    the last run."""
    result = service.refresh(session, now=now)
    return {"appeals": result.appeals, "keys": result.keys, "watermark": result.watermark}
