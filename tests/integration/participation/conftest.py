"""Fixtures for participation integration tests: the participation world on the mini
territory, and a snapshot of stored rows to prove that refusals change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.builders.participation import PWorld, make_pworld

from civicgrid.audit.models import AuditEntry
from civicgrid.db import Base


@pytest.fixture
def pworld(session: Session, now: datetime) -> PWorld:
    return make_pworld(session, now=now)


def _participation_counts(session: Session) -> dict[str, int]:
    counts = {
        name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in Base.metadata.tables.items()
        if name.startswith("participation_")
    }
    counts["audit"] = int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    return counts


Snapshot = Callable[[], dict[str, int]]


@pytest.fixture
def snapshot(session: Session) -> Snapshot:
    """Row counts of every participation table and of the audit log (call before and after
    a refused action; they must be equal)."""

    def take() -> dict[str, int]:
        session.expire_all()
        return _participation_counts(session)

    return take
