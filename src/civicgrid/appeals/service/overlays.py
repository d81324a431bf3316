"""Overlay use cases: recorded beside an order without changing its status — 吹哨报到
(a street summons departments on site by a deadline, DOMAIN §1.8), arrivals, 督办 supervision
notes and 催办 reminders (DOMAIN §1.5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from civicgrid.appeals.deadlines import whistle_arrival_due
from civicgrid.appeals.models import Supervision, Whistle, WhistleSummons
from civicgrid.appeals.service.common import (
    acting_role,
    in_lead_unit,
    load_for_action,
    recipient_for_unit,
    resolve_unit,
    transition,
    unit_recipients,
)
from civicgrid.appeals.workflow import Action, ActionInput, check_input
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid, NotFound

WHISTLE_KINDS = {"daily": "日常哨", "tackle": "攻坚哨", "emergency": "应急哨"}
MAX_ARRIVAL_MINUTES = 24 * 60


@use_case
def whistle(
    session: Session,
    *,
    appeal_id: int,
    department_ids: Sequence[int],
    reason: str,
    kind: str = "daily",
    arrive_within_minutes: int | None = None,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Whistle:
    """吹哨: the street handling the order summons departments to report on site, by default
    within 30 minutes. Raises Invalid for an unknown kind, no or unknown departments, a bad
    time limit or a missing reason."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.WHISTLE, actor)
    if kind not in WHISTLE_KINDS:
        raise Invalid(f"吹哨类型无效：{kind}")
    text = (reason or "").strip()
    if not text:
        raise Invalid("请填写吹哨事由", detail={"field": "reason"})
    ids = list(dict.fromkeys(department_ids))
    if not ids:
        raise Invalid(
            "请选择被召集的部门",
            detail={"field": "department_ids"},
        )
    units = [resolve_unit(session, "department", d) for d in ids]
    if arrive_within_minutes is None:
        arrive_by = whistle_arrival_due(now)
    elif 1 <= arrive_within_minutes <= MAX_ARRIVAL_MINUTES:
        arrive_by = now + timedelta(minutes=arrive_within_minutes)
    else:
        raise Invalid(
            f"报到时限须在 1 到 {MAX_ARRIVAL_MINUTES} 分钟之间",
            detail={"field": "arrive_within_minutes"},
        )
    row = Whistle(
        appeal_id=appeal.id,
        kind=kind,
        reason=text,
        called_at=now,
        arrive_by=arrive_by,
        called_by_user_id=actor.user_id,
    )
    row.summons = [WhistleSummons(department_id=u.id, department_name=u.name) for u in units]
    session.add(row)
    transition(
        session,
        appeal,
        Action.WHISTLE,
        actor=actor,
        role=role,
        now=now,
        note=text,
        detail={
            "kind": kind,
            "departments": [u.name for u in units],
            "arrive_by": arrive_by.isoformat(),
        },
        notify=[recipient_for_unit("department", u.id) for u in units],
    )
    return row


@use_case
def record_arrival(
    session: Session,
    *,
    appeal_id: int,
    whistle_id: int,
    department_id: int,
    note: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> WhistleSummons:
    """报到: a summoned department reports on site; recorded by that department's handler or
    by the street that whistled."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.RECORD_ARRIVAL, actor)
    summons = next(
        (
            s
            for w in [session.get(Whistle, whistle_id)]
            if w is not None and w.appeal_id == appeal.id
            for s in w.summons
            if s.department_id == department_id
        ),
        None,
    )
    if summons is None:
        raise NotFound("该部门不在此次吹哨的召集名单中")
    own_department = actor.has_role(Role.DEPARTMENT_HANDLER) and (
        department_id in actor.scope.department_ids
    )
    if not own_department and not in_lead_unit(actor, appeal, Role.STREET_HANDLER):
        raise Forbidden("只能为本部门或本街乡吹哨登记报到")
    if summons.arrived_at is not None:
        raise Invalid(f"{summons.department_name} 已于此前报到")
    summons.arrived_at = now
    summons.arrival_note = note.strip()
    late = now > summons.whistle.arrive_by
    transition(
        session,
        appeal,
        Action.RECORD_ARRIVAL,
        actor=actor,
        role=role,
        now=now,
        note=note.strip(),
        detail={"whistle_id": whistle_id, "department": summons.department_name, "late": late},
    )
    return summons


@use_case
def supervise(
    session: Session,
    *,
    appeal_id: int,
    text: str,
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Supervision:
    """督办: a supervisor's or leader's instruction on the order, sent to its units."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.SUPERVISE, actor)
    check_input(Action.SUPERVISE, ActionInput(text=text), now=now)
    row = Supervision(
        appeal_id=appeal.id,
        kind="supervision",
        note=text.strip(),
        at=now,
        by_user_id=actor.user_id,
        by_label=actor.label,
    )
    session.add(row)
    transition(
        session,
        appeal,
        Action.SUPERVISE,
        actor=actor,
        role=role,
        now=now,
        note=text.strip(),
        notify=unit_recipients(appeal),
    )
    return row


@use_case
def remind(
    session: Session,
    *,
    appeal_id: int,
    text: str = "",
    actor: Actor,
    now: datetime,
    expected_version: int | None = None,
) -> Supervision:
    """催办: a reminder to the order's units."""
    appeal = load_for_action(session, actor, appeal_id, expected_version)
    role = acting_role(appeal, Action.REMIND, actor)
    note = text.strip() or "请按时办理"
    row = Supervision(
        appeal_id=appeal.id,
        kind="reminder",
        note=note,
        at=now,
        by_user_id=actor.user_id,
        by_label=actor.label,
    )
    session.add(row)
    transition(
        session,
        appeal,
        Action.REMIND,
        actor=actor,
        role=role,
        now=now,
        note=note,
        notify=unit_recipients(appeal),
    )
    return row
