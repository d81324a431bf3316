"""Periodic work of the appeals package (wrapped by ``jobs.registry``).

The deadline sweep (督办/催办 by the system) flags overdue dispatch and feedback deadlines
and sends one reminder per deadline when it turns yellow (临期) and one when it turns red (超期).

Idempotent: flags are set only once and each reminder carries a ``sweep_key`` naming the
deadline and its due time, so running the sweep twice at the same ``now`` writes nothing new.
An approved extension moves the due time and therefore earns fresh reminders.

The tracking-failure purge deletes failed 查询进度 attempts that can no longer count towards the
limit (older than the retention, by default the one-hour window); idempotent as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal, Supervision
from civicgrid.appeals.self_service import TRACKING_FAILURE_RETENTION
from civicgrid.appeals.service.common import CENTRE, record_change, unit_recipients
from civicgrid.appeals.service.self_service import purge_tracking_failures as purge_failures
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case

SWEEP_ACTOR = Actor.system("deadline-sweep")
OPEN_WITH_CLOCK = sorted(queries.DISPATCH_CLOCK | queries.RESPONSE_CLOCK | queries.FEEDBACK_CLOCK)
KIND_LABELS = {"dispatch": "派单", "response": "响应", "feedback": "办结"}
PURGE_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep changed."""

    scanned: int
    flagged: int
    reminders: int


@use_case
def sweep_deadlines(session: Session, *, now: datetime) -> SweepResult:
    """Flag overdue appeals and write due-soon / overdue reminders (see the module docstring)."""
    appeals = session.scalars(
        select(Appeal).where(Appeal.status.in_(OPEN_WITH_CLOCK)).order_by(Appeal.id)
    ).all()
    flagged = reminders = 0
    for appeal in appeals:
        deadline = queries.running_deadline(appeal)
        level = queries.warning_for(appeal, now)
        if deadline is None or level is None or level is WarningLevel.GREEN:
            continue
        if level is WarningLevel.RED:
            if deadline.kind == "dispatch" and appeal.dispatch_overdue_at is None:
                appeal.dispatch_overdue_at = now
                flagged += 1
            elif deadline.kind == "feedback" and appeal.finish_overdue_at is None:
                appeal.finish_overdue_at = now
                flagged += 1
        stage = "overdue" if level is WarningLevel.RED else "due_soon"
        key = f"{deadline.kind}:{stage}:{deadline.due.isoformat()}"[:64]
        exists = session.scalar(
            select(Supervision.id).where(
                Supervision.appeal_id == appeal.id, Supervision.sweep_key == key
            )
        )
        if exists is not None:
            continue
        what = KIND_LABELS[deadline.kind]
        note = f"{what}已超期，请尽快办理" if stage == "overdue" else f"{what}时限临近，请按时办理"
        session.add(
            Supervision(
                appeal_id=appeal.id,
                kind="reminder",
                note=note,
                at=now,
                by_user_id=None,
                by_label=SWEEP_ACTOR.label,
                sweep_key=key,
            )
        )
        recipients = [CENTRE] if deadline.kind == "dispatch" else unit_recipients(appeal)
        record_change(
            session,
            appeal,
            action=Action.REMIND,
            actor=SWEEP_ACTOR,
            role=None,
            now=now,
            from_status=appeal.status,
            note=note,
            detail={"deadline": deadline.kind, "stage": stage, "due": deadline.due.isoformat()},
            notify=recipients,
        )
        reminders += 1
    return SweepResult(scanned=len(appeals), flagged=flagged, reminders=reminders)


def purge_tracking_failures(
    session: Session, now: datetime, *, retention: timedelta = TRACKING_FAILURE_RETENTION
) -> object:
    """Job ``appeals.purge_tracking_failures``: delete failed tracking attempts older than
    ``retention`` (see :func:`civicgrid.appeals.service.self_service.purge_tracking_failures`)."""
    deleted = purge_failures(session, now=now, retention=retention)
    return {"deleted": deleted}
