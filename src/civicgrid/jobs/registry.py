"""The periodic jobs of the application; each job calls one use case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.appeals import jobs as appeals_jobs
from civicgrid.assessment import jobs as assessment_jobs
from civicgrid.dispatch import jobs as dispatch_jobs
from civicgrid.insight import jobs as insight_jobs
from civicgrid.jobs.runner import Job
from civicgrid.notify import service as notify_service


def _deliver_notifications(session: Session, now: datetime) -> object:
    return notify_service.deliver_pending(
        session, senders={"inbox": notify_service.InboxSender()}, now=now
    )


def default_jobs() -> list[Job]:
    """Every job the worker (or the in-process loop of ``civicgrid serve``) runs."""
    return [
        Job("notify.deliver", timedelta(seconds=30), _deliver_notifications),
        Job("dispatch.auto_route", dispatch_jobs.AUTO_ROUTE_INTERVAL, dispatch_jobs.auto_route),
        Job(
            "assessment.refresh",
            assessment_jobs.REFRESH_INTERVAL,
            assessment_jobs.refresh_rollup,
        ),
        Job(
            "appeals.sweep_deadlines",
            timedelta(minutes=5),
            lambda session, now: appeals_jobs.sweep_deadlines(session, now=now),
        ),
        Job(
            "appeals.purge_tracking_failures",
            appeals_jobs.PURGE_INTERVAL,
            appeals_jobs.purge_tracking_failures,
        ),
        Job("insight.hotspots", insight_jobs.REFRESH_INTERVAL, insight_jobs.refresh_hotspots),
    ]
