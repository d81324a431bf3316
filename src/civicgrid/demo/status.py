"""Reading and writing the demo city's marker row (:class:`civicgrid.demo.models.DemoCity`):
whether the database is a demo city, and how far the build of its history has come."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from civicgrid.demo.models import DemoCity

PENDING = "pending"
BUILDING = "building"
COMPLETE = "complete"
FAILED = "failed"


@dataclass(frozen=True)
class HistoryProgress:
    """How far the history build is, as the pages show it."""

    state: str
    done: int
    total: int
    started_at: datetime | None
    updated_at: datetime | None
    message: str
    worker_alive: bool

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE

    @property
    def interrupted(self) -> bool:
        """Building, but the process that builds it is gone (stopped before it finished)."""
        return self.state == FAILED or (self.state == BUILDING and not self.worker_alive)

    def remaining(self, now: datetime) -> timedelta | None:
        """An estimate from the rate so far; None before there is one."""
        if self.state != BUILDING or not self.started_at or not self.done or not self.total:
            return None
        elapsed = (now - self.started_at).total_seconds()
        return timedelta(seconds=elapsed / self.done * (self.total - self.done))


def demo_city(session: Session) -> DemoCity | None:
    """The marker row, or None when the database is not a demo city."""
    return session.scalars(select(DemoCity).order_by(DemoCity.id).limit(1)).first()


def is_demo_city(session: Session) -> bool:
    return demo_city(session) is not None


def pid_alive(pid: int | None) -> bool:
    """Whether a process with ``pid`` runs on this machine (the history is built on the same
    machine as the demo, by ``civicgrid demo-history``)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def history_progress(session: Session) -> HistoryProgress | None:
    """The history build's progress, or None outside a demo city."""
    row = demo_city(session)
    if row is None:
        return None
    return HistoryProgress(
        state=row.history_state,
        done=row.history_done,
        total=row.history_total,
        started_at=row.history_started_at,
        updated_at=row.history_updated_at,
        message=row.history_message,
        worker_alive=pid_alive(row.history_pid),
    )


def claim_history(session: Session, row_id: int, *, pid: int, now: datetime) -> bool:
    """Mark the pending history as being built by ``pid``; False when it is not pending (an
    other process claimed it first, or it was built already)."""
    result = session.execute(
        update(DemoCity)
        .where(DemoCity.id == row_id, DemoCity.history_state == PENDING)
        .values(
            history_state=BUILDING,
            history_pid=pid,
            history_done=0,
            history_started_at=now,
            history_updated_at=now,
            history_message="",
        )
    )
    return bool(getattr(result, "rowcount", 0))


def mark_progress(session: Session | Connection, row_id: int, *, done: int, now: datetime) -> None:
    session.execute(
        update(DemoCity)
        .where(DemoCity.id == row_id)
        .values(history_done=done, history_updated_at=now)
    )


def mark_finished(
    session: Session | Connection, row_id: int, *, state: str, now: datetime, message: str = ""
) -> None:
    session.execute(
        update(DemoCity)
        .where(DemoCity.id == row_id)
        .values(
            history_state=state,
            history_pid=None,
            history_updated_at=now,
            history_finished_at=now,
            history_message=message,
        )
    )
