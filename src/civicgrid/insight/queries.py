"""Read-side queries of proactive governance over its own tables (monthly topics, governance
tasks, their linked appeals, the hot-problem cache).

The appeals it mines are read through :mod:`civicgrid.appeals.queries.scoped_facts`, which
applies the appeals package's own data scope; nothing here selects from another package's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civicgrid.appeals.queries import scoped_facts
from civicgrid.errors import NotFound
from civicgrid.insight.models import GovernanceTask, HotspotSnapshot, MonthlyTopic, TaskAppealLink

# --- own tables ----------------------------------------------------------------------------


def find_topic(
    session: Session, year: int, month: int, region_path: str = ""
) -> MonthlyTopic | None:
    """The month's topic of the district ``region_path`` ("": the city-wide topic)."""
    return session.scalar(
        select(MonthlyTopic).where(
            MonthlyTopic.year == year,
            MonthlyTopic.month == month,
            MonthlyTopic.region_path == region_path,
        )
    )


def get_task(session: Session, task_id: int) -> GovernanceTask:
    """The task; :class:`NotFound` when there is none."""
    task = session.get(GovernanceTask, task_id)
    if task is None:
        raise NotFound(f"治理任务不存在：{task_id}")
    return task


def list_tasks(
    session: Session, *, status: str | None = None, year: int | None = None
) -> Sequence[GovernanceTask]:
    """Governance tasks, newest first, optionally by status or by the topic's year."""
    stmt = select(GovernanceTask).join(MonthlyTopic, MonthlyTopic.id == GovernanceTask.topic_id)
    if status:
        stmt = stmt.where(GovernanceTask.status == status)
    if year is not None:
        stmt = stmt.where(MonthlyTopic.year == year)
    return session.scalars(stmt.order_by(GovernanceTask.id.desc())).all()


def linked_appeal_ids(session: Session, task_id: int) -> list[int]:
    return list(
        session.scalars(
            select(TaskAppealLink.appeal_id)
            .where(TaskAppealLink.task_id == task_id)
            .order_by(TaskAppealLink.appeal_id)
        )
    )


def linked_counts(session: Session, task_ids: Iterable[int]) -> dict[int, int]:
    """How many appeals are linked to each task."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    stmt = (
        select(TaskAppealLink.task_id, func.count())
        .where(TaskAppealLink.task_id.in_(ids))
        .group_by(TaskAppealLink.task_id)
    )
    return {task_id: int(n) for task_id, n in session.execute(stmt)}


def linked_received_times(session: Session, task_id: int) -> list[datetime]:
    """When each appeal linked to the task was received."""
    return scoped_facts.received_times_of(session, linked_appeal_ids(session, task_id))


def find_snapshot(session: Session, period_key: str, region_path: str) -> HotspotSnapshot | None:
    """The cached hot problems of one period and district ("" for the city), if any."""
    return session.scalar(
        select(HotspotSnapshot).where(
            HotspotSnapshot.period_key == period_key, HotspotSnapshot.region_path == region_path
        )
    )


def snapshots_of(
    session: Session, period_keys: Iterable[str]
) -> dict[tuple[str, str], HotspotSnapshot]:
    """Every cached snapshot of the given periods, by (period key, region path)."""
    keys = sorted(set(period_keys))
    if not keys:
        return {}
    stmt = select(HotspotSnapshot).where(HotspotSnapshot.period_key.in_(keys))
    return {(s.period_key, s.region_path): s for s in session.scalars(stmt)}


def other_snapshot_times(
    session: Session, period_keys: Iterable[str]
) -> list[tuple[int, str, datetime]]:
    """(id, period key, computed_at) of the snapshots of every period but ``period_keys``."""
    stmt = select(
        HotspotSnapshot.id, HotspotSnapshot.period_key, HotspotSnapshot.computed_at
    ).where(HotspotSnapshot.period_key.not_in(sorted(set(period_keys))))
    return [(i, key, at) for i, key, at in session.execute(stmt)]


def delete_snapshots(session: Session, snapshot_ids: Iterable[int]) -> None:
    """Drop the snapshots ``snapshot_ids`` (joins the caller's transaction)."""
    ids = sorted(set(snapshot_ids))
    if ids:
        session.execute(delete(HotspotSnapshot).where(HotspotSnapshot.id.in_(ids)))
