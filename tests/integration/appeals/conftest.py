"""Fixtures for the appeal integration tests: the mini-territory with one persona per role."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.appeals import StoredWorld, World

from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.audit.models import AuditEntry
from civicgrid.notify.models import OutboxMessage


@pytest.fixture
def world(session: Session, stored_world: StoredWorld, tmp_path: Path) -> World:
    return stored_world.attach(session, media_root=tmp_path / "media")


def state_of(session: Session, appeal_id: int) -> tuple[object, ...]:
    """Everything a refused action must leave untouched: the row, its timeline, the audit log
    and the outbox."""
    session.expire_all()
    appeal = session.get(Appeal, appeal_id)
    assert appeal is not None
    row = {c.key: getattr(appeal, c.key) for c in Appeal.__table__.columns}
    events = session.scalar(
        select(func.count()).select_from(TimelineEvent).where(TimelineEvent.appeal_id == appeal_id)
    )
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    units = sorted((u.id, u.released_at) for u in appeal.units)
    return (row, events, audits, outbox, units)


def actions_of(session: Session, appeal_id: int) -> list[str]:
    return list(
        session.scalars(
            select(TimelineEvent.action)
            .where(TimelineEvent.appeal_id == appeal_id)
            .order_by(TimelineEvent.id)
        )
    )
