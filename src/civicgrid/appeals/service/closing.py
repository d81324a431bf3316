"""Closing use cases: callback (回访) → close or reopen (重办), close without callback, and the
grid loop's verification by the grid worker (核查). Merged duplicates are called back one by one:
a callback on a merged appeal records that caller's answer without changing any status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.appeals.deadlines import UrgencyLevel, deadlines_for
from civicgrid.appeals.models import Appeal, Callback
from civicgrid.appeals.self_service_rules import CallbackChannel
from civicgrid.appeals.service.calendar_admin import working_calendar
from civicgrid.appeals.service.common import (
    acting_role,
    load_for_action,
    owner_recipients,
    record_change,
    transition,
    unit_recipients,
)
from civicgrid.appeals.states import AppealStatus, Satisfaction
from civicgrid.appeals.workflow import CALLBACK_ROLES, Action, ActionInput, check_input
from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, InvalidTransition

CALLED_BACK_TARGETS = frozenset({AppealStatus.REPLIED, AppealStatus.CLOSED})


def _restart_feedback(session: Session, appeal: Appeal, now: datetime) -> None:
    """A reopened or rejected order gets a fresh feedback deadline counted from now."""
    due = deadlines_for(
        UrgencyLevel(appeal.level),
        received_at=appeal.received_at,
        dispatched_at=now,
        calendar=working_calendar(session),
    )
    appeal.finish_due_at = due.feedback_due
    appeal.finish_overdue_at = None
    appeal.replied_at = None


def _merged_callback(
    session: Session,
    appeal: Appeal,
    *,
    resolved: bool,
    satisfaction: Satisfaction,
    note: str,
    actor: Actor,
    now: datetime,
) -> Callback:
    if not actor.has_role(*CALLBACK_ROLES):
        raise Forbidden("只有话务员可以回访")
    target = session.get(Appeal, appeal.merged_into_id) if appeal.merged_into_id else None
    if target is None or AppealStatus(target.status) not in CALLED_BACK_TARGETS:
        raise InvalidTransition("并入的主工单尚未办结，不能回访")
    row = Callback(
        appeal_id=appeal.id,
        round=appeal.reopen_count,
        resolved=resolved,
        satisfaction=satisfaction.value,
        note=note,
        channel=CallbackChannel.PHONE.value,
        at=now,
        by_user_id=actor.user_id,
    )
    session.add(row)
    appeal.resolved = resolved
    appeal.satisfaction = satisfaction.value
    record_change(
        session,
        appeal,
        action=Action.CALLBACK_CLOSE,
        actor=actor,
        role=None,
        now=now,
        from_status=appeal.status,
        note=note,
        detail={"resolved": resolved, "satisfaction": satisfaction.value, "merged": True},
    )
    return row


@use_case
def callback(
    session: Session,
    *,
    appeal_id: int,
    resolved: bool | None,
    satisfaction: Satisfaction | None,
    note: str = "",
    reopen: bool = False,
    reason: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Callback:
    """回访: record whether the problem was solved and the caller's rating, then close the order
    or, with ``reopen``, send it back to the unit (重办, reason required) with a new deadline.

    On a merged duplicate (并单) the caller's answer is recorded on that appeal only."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    action = Action.REOPEN if reopen else Action.CALLBACK_CLOSE
    if AppealStatus(appeal.status) is AppealStatus.MERGED:
        check_input(
            Action.CALLBACK_CLOSE,
            ActionInput(resolved=resolved, satisfaction=satisfaction),
            now=now,
        )
        assert resolved is not None
        assert satisfaction is not None
        return _merged_callback(
            session,
            appeal,
            resolved=resolved,
            satisfaction=satisfaction,
            note=note.strip(),
            actor=actor,
            now=now,
        )
    role = acting_role(appeal, action, actor)
    check_input(
        action,
        ActionInput(text=reason, resolved=resolved, satisfaction=satisfaction),
        now=now,
    )
    assert resolved is not None
    assert satisfaction is not None
    row = Callback(
        appeal_id=appeal.id,
        round=appeal.reopen_count,
        resolved=resolved,
        satisfaction=satisfaction.value,
        note=note.strip(),
        channel=CallbackChannel.PHONE.value,
        at=now,
        by_user_id=actor.user_id,
    )
    session.add(row)
    appeal.resolved = resolved
    appeal.satisfaction = satisfaction.value
    if reopen:
        appeal.reopen_count += 1
        _restart_feedback(session, appeal, now)
    else:
        appeal.closed_at = now
    transition(
        session,
        appeal,
        action,
        actor=actor,
        role=role,
        now=now,
        note=(reason if reopen else note).strip(),
        detail={"resolved": resolved, "satisfaction": satisfaction.value},
        notify=unit_recipients(appeal) if reopen else [],
    )
    return row


@use_case
def close_without_callback(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """无法回访结案: the caller cannot be reached (or asked not to be called); reason required."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.CLOSE_WITHOUT_CALLBACK, actor)
    check_input(Action.CLOSE_WITHOUT_CALLBACK, ActionInput(text=reason), now=now)
    appeal.closed_at = now
    transition(
        session,
        appeal,
        Action.CLOSE_WITHOUT_CALLBACK,
        actor=actor,
        role=role,
        now=now,
        note=reason.strip(),
    )
    return appeal


@use_case
def verify(
    session: Session,
    *,
    appeal_id: int,
    fixed: bool,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """网格核查: the grid worker checks on site. Fixed → closed; not fixed → back to the unit
    (reason required) with a new feedback deadline."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    action = Action.VERIFY_CONFIRM if fixed else Action.VERIFY_REJECT
    role = acting_role(appeal, action, actor)
    check_input(action, ActionInput(text=note), now=now)
    if fixed:
        appeal.closed_at = now
        appeal.resolved = True
        recipients = unit_recipients(appeal) + owner_recipients(appeal)
    else:
        appeal.reopen_count += 1
        _restart_feedback(session, appeal, now)
        recipients = unit_recipients(appeal)
    transition(
        session,
        appeal,
        action,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        notify=recipients,
    )
    return appeal
