"""Proactive governance's periodic work, as plain functions the job registry wraps (this
package does not import the job runner)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.insight import service
from civicgrid.insight.snapshots import REFRESH_INTERVAL

__all__ = ["REFRESH_INTERVAL", "refresh_hotspots"]


def refresh_hotspots(session: Session, now: datetime) -> object:
    """Job ``insight.hotspots``: mine the current and previous month's hot problems per
    district and for the city, and store them for the dashboard and the API."""
    result = service.refresh_hotspot_snapshots(session, now=now)
    return {
        "periods": result.periods,
        "snapshots": result.snapshots,
        "compute_ms": result.compute_ms,
    }
