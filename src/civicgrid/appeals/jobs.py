"""Periodic work of the appeals package (wrapped by ``jobs.registry``).

The deadline sweep (督办/催办 by the system) flags overdue dispatch and feedback deadlines
and sends one reminder per deadline when it turns yellow (临期) and one when it turns red (超期).

Idempotent: flags are set only once and each reminder carries a ``sweep_key`` naming the
deadline and its due time, so running the sweep twice at the same ``now`` writes nothing new.
An approved extension moves the due time and therefore earns fresh reminders.

Set-based: one statement reads the deadline columns of every open appeal (rows, not whole
appeals), one reads the sweep keys already written for them, and the colours and keys are
compared in Python. Only the appeals with something new to flag or remind are then loaded (one
statement per :data:`LOAD_CHUNK` of them, units included) and written; so a sweep in which
nothing turned yellow or red costs two statements whatever the number of open appeals, and the
writes grow with the reminders due, not with the open appeals.

The tracking-failure purge deletes failed 查询进度 attempts that can no longer count towards the
limit (older than the retention, by default the one-hour window); idempotent as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from civicgrid.appeals import queries
from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal, Supervision
from civicgrid.appeals.self_service_rules import TRACKING_FAILURE_RETENTION
from civicgrid.appeals.service.common import CENTRE, record_change, unit_recipients
from civicgrid.appeals.service.self_service import purge_tracking_failures as purge_failures
from civicgrid.appeals.workflow import Action
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case

SWEEP_ACTOR = Actor.system("deadline-sweep")
OPEN_WITH_CLOCK = sorted(queries.DISPATCH_CLOCK | queries.RESPONSE_CLOCK | queries.FEEDBACK_CLOCK)
KIND_LABELS = {"dispatch": "派单", "response": "响应", "feedback": "办结"}
PURGE_INTERVAL = timedelta(minutes=15)
LOAD_CHUNK = 1000  # appeals loaded per statement when the sweep has work to do


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep changed."""

    scanned: int
    flagged: int
    reminders: int


@dataclass(frozen=True, slots=True)
class Finding:
    """What the sweep must do for one appeal: set its overdue flag, write a reminder, or both."""

    appeal_id: int
    deadline: queries.Deadline
    stage: str  # "overdue" or "due_soon"
    flag: bool
    remind: bool

    @property
    def key(self) -> str:
        return sweep_key(self.deadline, self.stage)


def sweep_key(deadline: queries.Deadline, stage: str) -> str:
    """The idempotency key of the reminder for ``deadline`` at ``stage``."""
    return f"{deadline.kind}:{stage}:{deadline.due.isoformat()}"[:64]


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """The deadline columns of one open appeal, as the sweep reads them."""

    id: int
    status: str
    received_at: datetime
    dispatched_at: datetime | None
    dispatch_due_at: datetime | None
    response_due_at: datetime | None
    finish_due_at: datetime | None
    dispatch_overdue_at: datetime | None
    finish_overdue_at: datetime | None

    def flag_missing(self, kind: str) -> bool:
        """True when ``kind`` is a flagged deadline whose overdue flag is not set yet."""
        if kind == "dispatch":
            return self.dispatch_overdue_at is None
        return kind == "feedback" and self.finish_overdue_at is None


def _open_deadlines(session: Session) -> list[OpenDeadline]:
    """Statement 1: the deadline columns of every appeal whose status runs a clock."""
    rows = session.execute(
        select(
            Appeal.id,
            Appeal.status,
            Appeal.received_at,
            Appeal.dispatched_at,
            Appeal.dispatch_due_at,
            Appeal.response_due_at,
            Appeal.finish_due_at,
            Appeal.dispatch_overdue_at,
            Appeal.finish_overdue_at,
        )
        .where(Appeal.status.in_(OPEN_WITH_CLOCK))
        .order_by(Appeal.id)
    )
    return [OpenDeadline(*row) for row in rows]


def _written_keys(session: Session) -> set[tuple[int, str]]:
    """Statement 2: the sweep keys already written for the open appeals."""
    rows = session.execute(
        select(Supervision.appeal_id, Supervision.sweep_key)
        .join(Appeal, Appeal.id == Supervision.appeal_id)
        .where(Supervision.sweep_key.is_not(None), Appeal.status.in_(OPEN_WITH_CLOCK))
    ).all()
    return {(appeal_id, key) for appeal_id, key in rows if key is not None}


def find_work(
    rows: Iterable[OpenDeadline], written: set[tuple[int, str]], now: datetime
) -> list[Finding]:
    """The appeals among ``rows`` whose deadline is yellow or red at ``now`` and that still
    lack the flag or the reminder for it, in the order of ``rows``."""
    work: list[Finding] = []
    for row in rows:
        deadline = queries.running_deadline(row)
        level = queries.warning_for(row, now)
        if deadline is None or level is None or level is WarningLevel.GREEN:
            continue
        flag = level is WarningLevel.RED and row.flag_missing(deadline.kind)
        stage = "overdue" if level is WarningLevel.RED else "due_soon"
        remind = (row.id, sweep_key(deadline, stage)) not in written
        if flag or remind:
            work.append(Finding(row.id, deadline, stage, flag, remind))
    return work


def _load(session: Session, ids: Sequence[int]) -> dict[int, Appeal]:
    """The appeals with work to do, with their units (the reminders' recipients)."""
    loaded: dict[int, Appeal] = {}
    for offset in range(0, len(ids), LOAD_CHUNK):
        chunk = ids[offset : offset + LOAD_CHUNK]
        appeals = session.scalars(
            select(Appeal).where(Appeal.id.in_(chunk)).options(selectinload(Appeal.units))
        ).all()
        loaded.update((a.id, a) for a in appeals)
    return loaded


def _remind(session: Session, appeal: Appeal, finding: Finding, now: datetime) -> None:
    """Write the reminder of ``finding``: supervision row, timeline event, outbox, audit."""
    deadline, stage = finding.deadline, finding.stage
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
            sweep_key=finding.key,
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


@use_case
def sweep_deadlines(session: Session, *, now: datetime) -> SweepResult:
    """Flag overdue appeals and write due-soon / overdue reminders (see the module docstring)."""
    rows = _open_deadlines(session)
    work = find_work(rows, _written_keys(session), now)
    appeals = _load(session, [f.appeal_id for f in work]) if work else {}
    flagged = reminders = 0
    for finding in work:
        appeal = appeals.get(finding.appeal_id)
        if appeal is None:  # gone between the two reads
            continue
        if finding.flag:
            if finding.deadline.kind == "dispatch":
                appeal.dispatch_overdue_at = now
            else:
                appeal.finish_overdue_at = now
            flagged += 1
        if finding.remind:
            _remind(session, appeal, finding, now)
            reminders += 1
    return SweepResult(scanned=len(rows), flagged=flagged, reminders=reminders)


def purge_tracking_failures(
    session: Session, now: datetime, *, retention: timedelta = TRACKING_FAILURE_RETENTION
) -> object:
    """Job ``appeals.purge_tracking_failures``: delete failed tracking attempts older than
    ``retention`` (see :func:`civicgrid.appeals.service.self_service.purge_tracking_failures`)."""
    deleted = purge_failures(session, now=now, retention=retention)
    return {"deleted": deleted}
