"""Read-side queries of proactive governance: the appeals it mines (read-only, within the
actor's data scope) and its own tables.

Mining needs a few columns of many appeals at once, which the appeals package's page-oriented
``list_for`` does not offer; the selects below therefore read the appeal columns directly,
always through :func:`civicgrid.appeals.queries.scope_condition`, so the data scope is the
appeals package's own. Nothing here writes to an appeals table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.appeals.queries import scope_condition
from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.insight.models import GovernanceTask, MonthlyTopic, TaskAppealLink

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AppealRow:
    """The columns of one appeal that mining and trends use."""

    id: int
    number: str
    title: str
    content: str
    address: str
    received_at: datetime
    region_path: str
    category: str
    caller_hash: str
    resident_user_id: int | None
    level: str
    satisfaction: str | None
    reopen_count: int
    lead_unit: str = ""


def _conditions(
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None,
    category: str | None,
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        scope_condition(actor),
        Appeal.received_at >= start,
        Appeal.received_at < end,
    ]
    if region_path:
        conds.append(Appeal.region_path.startswith(region_path, autoescape=True))
    if category:
        conds.append(Appeal.category == category)
    return conds


def appeal_rows_for(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None = None,
    category: str | None = None,
    with_units: bool = False,
) -> list[AppealRow]:
    """The appeals ``actor`` may see received in [start, end), oldest first; with
    ``with_units`` each row carries its current lead unit as ``"<kind>:<id>:<name>"``."""
    stmt = (
        select(
            Appeal.id,
            Appeal.number,
            Appeal.title,
            Appeal.content,
            Appeal.address,
            Appeal.received_at,
            Appeal.region_path,
            Appeal.category,
            Appeal.caller_phone_hash.label("caller_hash"),
            Appeal.resident_user_id,
            Appeal.level,
            Appeal.satisfaction,
            Appeal.reopen_count,
        )
        .where(
            *_conditions(actor, start=start, end=end, region_path=region_path, category=category)
        )
        .order_by(Appeal.received_at, Appeal.id)
    )
    rows = [AppealRow(**r._asdict()) for r in session.execute(stmt)]
    if not with_units or not rows:
        return rows
    leads = lead_units(session, [r.id for r in rows])
    return [
        AppealRow(
            id=r.id,
            number=r.number,
            title=r.title,
            content=r.content,
            address=r.address,
            received_at=r.received_at,
            region_path=r.region_path,
            category=r.category,
            caller_hash=r.caller_hash,
            resident_user_id=r.resident_user_id,
            level=r.level,
            satisfaction=r.satisfaction,
            reopen_count=r.reopen_count,
            lead_unit=leads.get(r.id, ""),
        )
        for r in rows
    ]


def lead_units(session: Session, appeal_ids: Iterable[int]) -> dict[int, str]:
    """The current lead unit of each appeal that has one, as ``"<kind>:<id>:<name>"``."""
    ids = sorted(set(appeal_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = select(
            AppealUnit.appeal_id, AppealUnit.unit_kind, AppealUnit.unit_id, AppealUnit.unit_name
        ).where(
            AppealUnit.appeal_id.in_(chunk),
            AppealUnit.role == "lead",
            AppealUnit.released_at.is_(None),
        )
        for appeal_id, kind, unit_id, name in session.execute(stmt):
            found[appeal_id] = f"{kind}:{unit_id}:{name}"
    return found


def received_times_for(
    session: Session,
    actor: Actor,
    *,
    start: datetime,
    end: datetime,
    region_path: str | None = None,
    category: str | None = None,
) -> list[tuple[datetime, str, str]]:
    """(received_at, category, region_path) of the appeals ``actor`` may see in [start, end)."""
    stmt = select(Appeal.received_at, Appeal.category, Appeal.region_path).where(
        *_conditions(actor, start=start, end=end, region_path=region_path, category=category)
    )
    return [(at, cat, path) for at, cat, path in session.execute(stmt)]


def visible_appeal_ids(session: Session, actor: Actor, appeal_ids: Iterable[int]) -> set[int]:
    """Those of ``appeal_ids`` that exist and ``actor`` may see."""
    ids = sorted(set(appeal_ids))
    found: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        stmt = select(Appeal.id).where(Appeal.id.in_(chunk), scope_condition(actor))
        found.update(session.scalars(stmt))
    return found


# --- own tables ----------------------------------------------------------------------------


def find_topic(session: Session, year: int, month: int) -> MonthlyTopic | None:
    return session.scalar(
        select(MonthlyTopic).where(MonthlyTopic.year == year, MonthlyTopic.month == month)
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
    stmt = (
        select(Appeal.received_at)
        .join(TaskAppealLink, TaskAppealLink.appeal_id == Appeal.id)
        .where(TaskAppealLink.task_id == task_id)
    )
    return list(session.scalars(stmt))
