"""The periodic jobs of the application; each job calls one use case."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.appeals import jobs as appeals_jobs
from civicgrid.assessment import jobs as assessment_jobs
from civicgrid.audit import sealing as audit_sealing
from civicgrid.clock import SystemClock
from civicgrid.config import Settings, get_settings
from civicgrid.deps import field_cipher
from civicgrid.dispatch import jobs as dispatch_jobs
from civicgrid.events import delivery as events_delivery
from civicgrid.insight import jobs as insight_jobs
from civicgrid.jobs.runner import Job
from civicgrid.notify import service as notify_service


def _event_jobs(settings: Settings) -> list[Job]:
    """Fan events out to their sinks, then deliver the outbox (inbox, webhooks, broker); the
    signing time of a webhook is the wall clock at sending, not the tick's."""
    clock = SystemClock()

    def fan_out(session: Session, now: datetime) -> object:
        return events_delivery.fan_out(session, settings=settings, now=now)

    def deliver(session: Session, now: datetime) -> object:
        return events_delivery.deliver(
            session, settings=settings, cipher=field_cipher(settings), clock=clock.now, now=now
        )

    def purge(session: Session, now: datetime) -> object:
        before = now - timedelta(days=settings.outbox_retention_days)
        return {"deleted": notify_service.purge_delivered(session, before=before)}

    return [
        Job("events.fan_out", timedelta(seconds=10), fan_out),
        Job("notify.deliver", timedelta(seconds=10), deliver),
        Job("notify.purge", timedelta(days=1), purge),
    ]


def default_jobs(settings: Settings | None = None) -> list[Job]:
    """Every job the worker (or the in-process loop of ``civicgrid serve``) runs."""
    return [
        *_event_jobs(settings or get_settings()),
        Job("audit.seal", audit_sealing.SEAL_INTERVAL, audit_sealing.seal_job),
        Job("dispatch.auto_route", dispatch_jobs.AUTO_ROUTE_INTERVAL, dispatch_jobs.auto_route),
        Job("dispatch.retrain", dispatch_jobs.RETRAIN_INTERVAL, dispatch_jobs.retrain),
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
