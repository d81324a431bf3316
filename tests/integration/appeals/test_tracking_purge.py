"""The purge of failed tracking attempts (appeal_tracking_failure): what it deletes, that it is
idempotent, that the 5-failures-per-hour limit still holds after it, and its job."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.builders.appeals import World, make_appeal

from civicgrid.appeals import jobs as appeals_jobs
from civicgrid.appeals import service
from civicgrid.appeals.models import TrackingFailure
from civicgrid.appeals.self_service_rules import (
    MAX_TRACKING_FAILURES,
    TRACKING_WINDOW,
    TooManyAttempts,
    TrackingProof,
)
from civicgrid.appeals.service.self_service import purge_tracking_failures
from civicgrid.appeals.states import AppealStatus
from civicgrid.errors import Invalid
from civicgrid.jobs.registry import default_jobs


def _fail(session: Session, world: World, number: str, at: datetime) -> None:
    """One failed tracking attempt through the real use case."""
    proof = TrackingProof(number, "0000")
    assert service.track(session, proof=proof, cipher=world.cipher, now=at) is None


def _stored(session: Session) -> list[tuple[str, datetime]]:
    session.expire_all()
    rows = session.execute(select(TrackingFailure.number, TrackingFailure.at)).all()
    return sorted((n, at) for n, at in rows)


def test_purge_deletes_only_attempts_older_than_the_window_and_is_idempotent(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    start = now - timedelta(hours=3)
    old = [start, start + timedelta(minutes=30), now - TRACKING_WINDOW - timedelta(seconds=1)]
    edge = now - TRACKING_WINDOW  # still counts ("at or after" the window start)
    recent = [edge, now - timedelta(minutes=10)]
    for at in [*old, *recent]:
        _fail(session, world, appeal.number, at)
    _fail(session, world, "20990101000001", start)  # another number, also old

    assert purge_tracking_failures(session, now=now) == len(old) + 1
    assert _stored(session) == [(appeal.number, at) for at in recent]
    assert purge_tracking_failures(session, now=now) == 0
    assert _stored(session) == [(appeal.number, at) for at in recent]


def test_the_limit_still_holds_after_a_purge(session: Session, world: World, now: datetime) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    for i in range(MAX_TRACKING_FAILURES):
        _fail(session, world, appeal.number, now - timedelta(minutes=50 - i))
    assert purge_tracking_failures(session, now=now) == 0
    right = TrackingProof(appeal.number, "5678")
    with pytest.raises(TooManyAttempts):
        service.track(session, proof=right, cipher=world.cipher, now=now)
    # Once the window has passed the rows go, and tracking works again.
    later = now + timedelta(minutes=15)
    assert purge_tracking_failures(session, now=later) == MAX_TRACKING_FAILURES
    assert service.track(session, proof=right, cipher=world.cipher, now=later) is not None


def test_a_longer_retention_keeps_more_and_a_shorter_one_is_refused(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    for hours in (30, 5):
        _fail(session, world, appeal.number, now - timedelta(hours=hours))
    day = timedelta(days=1)
    assert purge_tracking_failures(session, now=now, retention=day) == 1
    assert [at for _, at in _stored(session)] == [now - timedelta(hours=5)]
    with pytest.raises(Invalid) as caught:
        purge_tracking_failures(session, now=now, retention=TRACKING_WINDOW - timedelta(seconds=1))
    assert caught.value.status_code == 422
    assert len(_stored(session)) == 1


def test_the_job_is_registered_and_reports_what_it_deleted(
    session: Session, world: World, now: datetime
) -> None:
    appeal = make_appeal(session, world=world, status=AppealStatus.REPLIED, now=now)
    _fail(session, world, appeal.number, now - timedelta(hours=2))
    _fail(session, world, appeal.number, now - timedelta(minutes=5))
    job = next(j for j in default_jobs() if j.name == "appeals.purge_tracking_failures")
    assert job.interval == appeals_jobs.PURGE_INTERVAL
    assert job.run(session, now) == {"deleted": 1}
    assert job.run(session, now) == {"deleted": 0}
    assert len(_stored(session)) == 1
