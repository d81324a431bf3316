"""The caller's self-service (自助服务): tracking an appeal by number and phone tail (查询进度) and
rating it after the reply (自助评价), either as the resident who filed it or with the tracking
proof. The rules (limits, which action a rating takes) are pure and live in
``appeals.self_service_rules`` and ``appeals.workflow``.

A failed tracking proof is not an exception: the failed attempt must be stored (it is what stops
someone guessing the four digits), and a use case rolls back on any exception. So :func:`track`
and :func:`rate_by_caller` return None when the proof does not match, after recording the
attempt; the edges turn None into "not found". :func:`purge_tracking_failures` deletes the
attempts that can no longer count (run by the job ``appeals.purge_tracking_failures``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from civicgrid.appeals import queries
from civicgrid.appeals.models import Appeal, Callback, TrackingFailure
from civicgrid.appeals.self_service_rules import (
    TRACKING_FAILURE_RETENTION,
    CallbackChannel,
    TrackingProof,
    check_tracking_allowed,
    normalise_number,
    tracking_purge_cutoff,
    tracking_window_start,
)
from civicgrid.appeals.service.common import load_for_action, transition, unit_recipients
from civicgrid.appeals.states import Satisfaction
from civicgrid.appeals.workflow import Action, ActionInput, check_input, self_rate_action
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, NotFound, Unauthenticated
from civicgrid.kit.crypto import FieldCipher
from civicgrid.notify.service import Recipient

MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True, slots=True)
class SelfRating:
    """A stored self-service rating and the appeal it rated (closed or still awaiting the
    centre's callback)."""

    appeal: Appeal
    callback: Callback


OPERATORS = Recipient("role", Role.OPERATOR.value)


def caller_actor() -> Actor:
    """The anonymous caller who proved number + phone tail; acts in the resident role."""
    return Actor(
        user_id=None,
        username="caller",
        display_name="诉求人（凭编号和手机尾号）",
        roles=frozenset({Role.RESIDENT}),
    )


def _proven_appeal(
    session: Session, proof: TrackingProof, cipher: FieldCipher, now: datetime
) -> Appeal | None:
    """The appeal the proof opens, or None after recording a failed attempt; TooManyAttempts
    (429) when the number has had too many failures within the window. Joins the caller's
    transaction."""
    number = normalise_number(proof.number)
    failures = queries.failed_tracking_attempts(
        session, number=number, since=tracking_window_start(now)
    )
    check_tracking_allowed(failures)
    appeal = queries.find_for_tracking(
        session, number=number, phone_last4=proof.phone_last4, cipher=cipher
    )
    if appeal is None:
        session.add(TrackingFailure(number=number, at=now))
        session.flush()
    return appeal


@use_case
def track(
    session: Session, *, proof: TrackingProof, cipher: FieldCipher, now: datetime
) -> Appeal | None:
    """查询进度: the appeal whose number and caller's phone tail match ``proof``; None (and one
    failed attempt recorded) otherwise. Refused with 429 after too many failures."""
    return _proven_appeal(session, proof, cipher, now)


def _own_appeal(session: Session, actor: Actor, appeal_id: int, version: int | None) -> Appeal:
    """The appeal ``actor`` filed as a resident; NotFound for anyone else's."""
    if not actor.has_role(Role.RESIDENT) or actor.user_id is None:
        raise NotFound(f"工单不存在或无权查看：{appeal_id}")
    appeal = load_for_action(session, actor, appeal_id, version)
    if appeal.resident_user_id != actor.user_id:
        raise NotFound(f"工单不存在或无权查看：{appeal_id}")
    return appeal


@use_case
def rate_by_caller(
    session: Session,
    *,
    appeal_id: int,
    resolved: bool | None,
    satisfaction: Satisfaction | None,
    comment: str = "",
    actor: Actor | None = None,
    proof: TrackingProof | None = None,
    cipher: FieldCipher,
    now: datetime,
    expected_version: int | None = None,
) -> SelfRating | None:
    """自助评价: the caller rates the reply of their own hotline appeal.

    Who: the resident who filed it (``actor``), or anyone holding the tracking ``proof``
    (number + last four phone digits; a wrong proof returns None after recording a failed
    attempt, and too many failures give 429). Solved and (basically) satisfied closes the order
    (自助评价结案); otherwise the rating is recorded, the order stays 已办结待回访 and operators
    are asked to call back. One rating per reply round (a second is a 409). The rating is a
    callback row with channel ``self_service``.
    """
    if proof is not None:
        appeal = _proven_appeal(session, proof, cipher, now)
        if appeal is None:
            return None
        if appeal.id != appeal_id:
            raise NotFound(f"工单不存在或无权查看：{appeal_id}")
        if expected_version is not None and expected_version != appeal.version:
            raise Conflict(
                "工单已有新的进展，请刷新后重试",
                detail={"version": appeal.version, "expected_version": expected_version},
            )
        rater = caller_actor()
    elif actor is not None:
        appeal = _own_appeal(session, actor, appeal_id, expected_version)
        rater = actor
    else:
        raise Unauthenticated("请登录，或填写工单编号和手机号码后四位")
    check_input(
        Action.SELF_RATE, ActionInput(resolved=resolved, satisfaction=satisfaction), now=now
    )
    assert resolved is not None
    assert satisfaction is not None
    text = comment.strip()
    if len(text) > MAX_COMMENT_CHARS:
        raise Invalid(
            f"评价内容不能超过 {MAX_COMMENT_CHARS} 字",
            detail={"field": "comment"},
        )
    action = self_rate_action(resolved=resolved, satisfaction=satisfaction)
    if queries.self_rating_for_round(session, appeal.id, appeal.reopen_count) is not None:
        raise Conflict(
            "您已评价过本次办理结果，不能重复评价",
            detail={"field": "satisfaction"},
        )
    closes = action is Action.SELF_RATE_CLOSE
    row = Callback(
        appeal_id=appeal.id,
        round=appeal.reopen_count,
        resolved=resolved,
        satisfaction=satisfaction.value,
        note=text,
        channel=CallbackChannel.SELF_SERVICE.value,
        at=now,
        by_user_id=rater.user_id,
    )
    session.add(row)
    appeal.resolved = resolved
    appeal.satisfaction = satisfaction.value
    if closes:
        appeal.closed_at = now
    transition(
        session,
        appeal,
        action,
        actor=rater,
        role=Role.RESIDENT,
        now=now,
        note=text,
        detail={
            "resolved": resolved,
            "satisfaction": satisfaction.value,
            "channel": CallbackChannel.SELF_SERVICE.value,
        },
        notify=unit_recipients(appeal) if closes else [OPERATORS],
    )
    return SelfRating(appeal=appeal, callback=row)


@use_case
def purge_tracking_failures(
    session: Session, *, now: datetime, retention: timedelta = TRACKING_FAILURE_RETENTION
) -> int:
    """Delete the failed tracking attempts older than ``retention`` (at least the counting
    window, else Invalid) and return how many were deleted. Idempotent: a second run at the
    same ``now`` deletes nothing. The rows hold only an appeal number and a time, so no audit
    row is written for this housekeeping."""
    cutoff = tracking_purge_cutoff(now, retention)
    result = session.connection().execute(
        delete(TrackingFailure).where(TrackingFailure.at < cutoff)
    )
    return int(result.rowcount or 0)
