"""Reviewed requests during handling (DOMAIN §1.5): extension (延期: a later feedback deadline,
asked before the current one passes), termination (终止办理) and parking (挂账), each requested by
the lead unit and decided by the centre, and unparking; and the centre's finding that a demand is
unreasonable (不合理诉求), which takes the order out of 三率, and its revocation. Each use case is
one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.models import Appeal, Extension
from civicgrid.appeals.service.common import (
    CENTRE,
    acting_role,
    load_for_action,
    owner_recipients,
    record_change,
    transition,
    unit_recipients,
)
from civicgrid.appeals.workflow import Action, ActionInput, check_input
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, InvalidTransition


@use_case
def request_extension(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    new_due_at: datetime,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Extension:
    """申请延期: before the feedback deadline passes, ask for a later one with a reason."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REQUEST_EXTENSION, actor)
    check_input(
        Action.REQUEST_EXTENSION,
        ActionInput(text=reason, new_due_at=new_due_at),
        now=now,
        current_due_at=appeal.finish_due_at,
    )
    extension = Extension(
        appeal_id=appeal.id,
        reason=reason.strip(),
        old_due_at=appeal.finish_due_at,
        requested_due_at=new_due_at,
        requested_at=now,
        requested_by_user_id=actor.user_id,
    )
    session.add(extension)
    transition(
        session,
        appeal,
        Action.REQUEST_EXTENSION,
        actor=actor,
        role=role,
        now=now,
        note=reason.strip(),
        detail={"requested_due_at": new_due_at.isoformat()},
        notify=[CENTRE],
    )
    return extension


@use_case
def approve_extension(
    session: Session,
    *,
    appeal_id: int,
    new_due_at: datetime | None = None,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Extension:
    """批准延期: the feedback deadline moves to ``new_due_at`` (default: the requested one)."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.APPROVE_EXTENSION, actor)
    extension = queries.pending_extension(session, appeal.id)
    if extension is None:
        raise Invalid("没有待审批的延期申请")
    due = new_due_at or extension.requested_due_at
    check_input(
        Action.APPROVE_EXTENSION,
        ActionInput(new_due_at=due),
        now=now,
        current_due_at=appeal.finish_due_at,
    )
    extension.decision = "approved"
    extension.decided_at = now
    extension.decided_by_user_id = actor.user_id
    extension.decision_note = note.strip()
    appeal.finish_due_at = due
    appeal.finish_overdue_at = None
    transition(
        session,
        appeal,
        Action.APPROVE_EXTENSION,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        detail={"extension_id": extension.id, "new_due_at": due.isoformat()},
        notify=unit_recipients(appeal),
    )
    return extension


@use_case
def reject_extension(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Extension:
    """驳回延期: the deadline stays."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REJECT_EXTENSION, actor)
    check_input(Action.REJECT_EXTENSION, ActionInput(text=reason), now=now)
    extension = queries.pending_extension(session, appeal.id)
    if extension is None:
        raise Invalid("没有待审批的延期申请")
    extension.decision = "rejected"
    extension.decided_at = now
    extension.decided_by_user_id = actor.user_id
    extension.decision_note = reason.strip()
    transition(
        session,
        appeal,
        Action.REJECT_EXTENSION,
        actor=actor,
        role=role,
        now=now,
        note=reason.strip(),
        detail={"extension_id": extension.id},
        notify=unit_recipients(appeal),
    )
    return extension


@use_case
def review_step(
    session: Session,
    *,
    appeal_id: int,
    action: Action,
    text: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """One of the reviewed handling steps that carry only a text: request / approve / reject
    termination (终止办理) and parking (挂账), and unpark. The workflow table says who may take
    each and whether the text is required."""
    if action not in REVIEWED_STEPS:
        raise Invalid(f"不支持的操作：{action}")
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, action, actor)
    check_input(action, ActionInput(text=text), now=now)
    recipients = [CENTRE] if action in (Action.REQUEST_TERMINATION, Action.REQUEST_PARK) else []
    if action is Action.APPROVE_TERMINATION:
        appeal.closed_at = now
        recipients = unit_recipients(appeal) + owner_recipients(appeal)
    elif action not in (Action.REQUEST_TERMINATION, Action.REQUEST_PARK):
        recipients = unit_recipients(appeal)
    transition(
        session,
        appeal,
        action,
        actor=actor,
        role=role,
        now=now,
        note=text.strip(),
        notify=recipients,
    )
    return appeal


@use_case
def mark_unreasonable(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """认定不合理诉求: the centre finds, after review, that the caller's demand is unreasonable.

    Allowed while the unit handles the order and after it ended (closed, terminated: a unit
    usually applies for the exclusion after the callback). The status does not change, but the
    order no longer counts in 三率 (the assessment reads :attr:`Appeal.excluded_from_rates`; the
    next rollup refresh picks the change up from the timeline event). The reason, time and
    reviewer are stored on the appeal and written to the timeline, the audit log and the units'
    inbox in this one transaction.

    Raises Invalid (422) without a reason; Forbidden (403) for roles other than the reviewers;
    NotFound (404) outside the actor's scope; InvalidTransition (409) in other statuses or for
    an order that never reached a unit; Conflict (409) when already marked or when
    ``expected_version`` is stale.
    """
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.MARK_UNREASONABLE, actor)
    check_input(Action.MARK_UNREASONABLE, ActionInput(text=reason), now=now)
    _check_markable(appeal, Action.MARK_UNREASONABLE)
    # A unit's pending application is settled by the direct finding; the event names it.
    pending = (
        _pending_application(appeal, Action.MARK_UNREASONABLE)
        if appeal.unreasonable_applied_at is not None
        else None
    )
    _make_finding(
        session,
        appeal,
        action=Action.MARK_UNREASONABLE,
        reason=reason.strip(),
        actor=actor,
        role=role,
        now=now,
        detail=pending,
    )
    return appeal


@use_case
def revoke_unreasonable(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """撤销不合理认定: the centre withdraws its finding (a wrong review, new facts from the
    caller), with a reason. The order counts in 三率 again from the next rollup refresh. The
    finding's columns are cleared; the timeline keeps both the finding and its revocation, and
    the revocation's detail names the revoked reason.

    Same roles, statuses and errors as :func:`mark_unreasonable`; Conflict (409) when the order
    is not marked.
    """
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REVOKE_UNREASONABLE, actor)
    check_input(Action.REVOKE_UNREASONABLE, ActionInput(text=reason), now=now)
    if not appeal.excluded_from_rates:
        raise Conflict(
            "该工单未被认定为不合理诉求，无需撤销",
            detail={"action": Action.REVOKE_UNREASONABLE.value},
        )
    text = reason.strip()
    revoked = {
        "revoked_reason": appeal.unreasonable_reason or "",
        "revoked_at": appeal.unreasonable_at.isoformat() if appeal.unreasonable_at else None,
        "revoked_by": appeal.unreasonable_by_label or "",
    }
    appeal.excluded_from_rates = False
    appeal.unreasonable_reason = None
    appeal.unreasonable_at = None
    appeal.unreasonable_by_user_id = None
    appeal.unreasonable_by_label = None
    record_change(
        session,
        appeal,
        action=Action.REVOKE_UNREASONABLE,
        actor=actor,
        role=role,
        now=now,
        from_status=appeal.status,
        note=text,
        detail={"excluded_from_rates": False, **revoked},
        notify=unit_recipients(appeal),
    )
    return appeal


def _check_markable(appeal: Appeal, action: Action) -> None:
    """Conflict (409) when the order is already marked; InvalidTransition (409) when it never
    reached a unit (closed at intake: 直接答复, 告知途径 …, so never in 三率)."""
    if appeal.excluded_from_rates:
        raise Conflict(
            "该工单已认定为不合理诉求",
            detail={"action": action.value},
        )
    if appeal.dispatched_at is None:
        raise InvalidTransition(
            "该工单未派发承办单位，不参与三率考核，无需认定不合理诉求"
            " (the appeal never reached a unit and does not count in the rates)",
            detail={"action": action.value, "status": appeal.status},
        )


def _make_finding(
    session: Session,
    appeal: Appeal,
    *,
    action: Action,
    reason: str,
    actor: Actor,
    role: Role,
    now: datetime,
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """The 不合理诉求 finding by ``actor`` with ``reason``: the order leaves 三率; the finding
    is stored on the appeal and recorded (timeline, audit, the units' inbox). Shared by the
    direct mark and the approval of a unit's application, which it clears."""
    _clear_application(appeal)
    appeal.excluded_from_rates = True
    appeal.unreasonable_reason = reason
    appeal.unreasonable_at = now
    appeal.unreasonable_by_user_id = actor.user_id
    appeal.unreasonable_by_label = actor.label
    record_change(
        session,
        appeal,
        action=action,
        actor=actor,
        role=role,
        now=now,
        from_status=appeal.status,
        note=note or reason,
        detail={"excluded_from_rates": True, **(detail or {})},
        notify=unit_recipients(appeal),
    )


def _pending_application(appeal: Appeal, action: Action) -> dict[str, Any]:
    """The pending application as timeline detail; Conflict (409) when there is none."""
    if appeal.unreasonable_applied_at is None:
        raise Conflict(
            "没有待审核的不合理诉求申请",
            detail={"action": action.value},
        )
    return {
        "applied_reason": appeal.unreasonable_applied_reason or "",
        "applied_at": appeal.unreasonable_applied_at.isoformat(),
        "applied_by": appeal.unreasonable_applied_by_label or "",
    }


def _clear_application(appeal: Appeal) -> None:
    appeal.unreasonable_applied_reason = None
    appeal.unreasonable_applied_at = None
    appeal.unreasonable_applied_by_user_id = None
    appeal.unreasonable_applied_by_label = None


@use_case
def apply_unreasonable(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """申请不合理诉求认定: the lead unit's handler asks the centre, with a reason, to find the
    demand unreasonable (mostly after the reply or the end). The application is stored on the
    appeal until the centre decides; the centre is notified in the same transaction.

    Raises Invalid (422) without a reason; Forbidden (403) for other roles or another unit's
    handler; InvalidTransition (409) in statuses where no finding can be made or for an order
    that never reached a unit; Conflict (409) when an application is already pending, the order
    is already marked, or ``expected_version`` is stale.
    """
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.APPLY_UNREASONABLE, actor)
    check_input(Action.APPLY_UNREASONABLE, ActionInput(text=reason), now=now)
    _check_markable(appeal, Action.APPLY_UNREASONABLE)
    if appeal.unreasonable_applied_at is not None:
        raise Conflict(
            "该工单已有待审核的不合理诉求申请",
            detail={"action": Action.APPLY_UNREASONABLE.value},
        )
    text = reason.strip()
    appeal.unreasonable_applied_reason = text
    appeal.unreasonable_applied_at = now
    appeal.unreasonable_applied_by_user_id = actor.user_id
    appeal.unreasonable_applied_by_label = actor.label
    record_change(
        session,
        appeal,
        action=Action.APPLY_UNREASONABLE,
        actor=actor,
        role=role,
        now=now,
        from_status=appeal.status,
        note=text,
        notify=[CENTRE],
    )
    return appeal


@use_case
def approve_unreasonable_application(
    session: Session,
    *,
    appeal_id: int,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """通过不合理诉求申请: the centre makes the finding exactly as :func:`mark_unreasonable`
    does, with the unit's reason as the finding's reason and the reviewer as its author; the
    application is cleared (the timeline event names it) and the unit is notified.

    Forbidden (403) for roles other than the reviewers; Conflict (409) without a pending
    application or for a stale ``expected_version``.
    """
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.APPROVE_UNREASONABLE, actor)
    application = _pending_application(appeal, Action.APPROVE_UNREASONABLE)
    _check_markable(appeal, Action.APPROVE_UNREASONABLE)
    reason = appeal.unreasonable_applied_reason or ""
    _make_finding(
        session,
        appeal,
        action=Action.APPROVE_UNREASONABLE,
        reason=reason,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        detail=application,
    )
    return appeal


@use_case
def reject_unreasonable_application(
    session: Session,
    *,
    appeal_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    """驳回不合理诉求申请: the centre refuses the unit's application with a reason; the order
    stays in 三率, the application is cleared (the timeline event names it) and the unit is
    notified. The unit may apply again.

    Invalid (422) without a reason; Forbidden (403) for roles other than the reviewers; Conflict
    (409) without a pending application or for a stale ``expected_version``.
    """
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REJECT_UNREASONABLE, actor)
    check_input(Action.REJECT_UNREASONABLE, ActionInput(text=reason), now=now)
    application = _pending_application(appeal, Action.REJECT_UNREASONABLE)
    text = reason.strip()
    _clear_application(appeal)
    record_change(
        session,
        appeal,
        action=Action.REJECT_UNREASONABLE,
        actor=actor,
        role=role,
        now=now,
        from_status=appeal.status,
        note=text,
        detail=application,
        notify=unit_recipients(appeal),
    )
    return appeal


REVIEWED_STEPS = frozenset(
    {
        Action.REQUEST_TERMINATION,
        Action.APPROVE_TERMINATION,
        Action.REJECT_TERMINATION,
        Action.REQUEST_PARK,
        Action.APPROVE_PARK,
        Action.REJECT_PARK,
        Action.UNPARK,
    }
)
