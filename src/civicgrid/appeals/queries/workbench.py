"""Workbench queues: what waits for one person or unit (UX "workbench first").

A queue is a named SQL condition on :class:`Appeal` built for one actor at one time. The same
condition counts the queue on the landing page (:func:`count_queues`, one statement for all the
queues of a role) and lists it (:func:`list_queue`), so a count and the list it links to always
agree. Every queue is also limited to the actor's data scope
(:func:`~civicgrid.appeals.queries.access.visible_condition`).

Handler queues are about the actor's OWN units (the region, department or utility of their
handler posts), not everything in their scope: a street handler sees the orders their street
leads or helps with, never those led by a utility in the same street.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from civicgrid.appeals.deadlines import WarningLevel
from civicgrid.appeals.models import Appeal, AppealUnit
from civicgrid.appeals.queries.access import (
    AppealPage,
    overdue_condition,
    visible_condition,
    warning_condition,
)
from civicgrid.appeals.states import TERMINAL_STATUSES, AppealStatus
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import Invalid

_S = AppealStatus
OPEN = tuple(sorted(s.value for s in AppealStatus if s not in TERMINAL_STATUSES))
HANDLING = (_S.SIGNED.value, _S.IN_PROGRESS.value)
# The unit has answered; the order waits for the callback or the on-site check.
AFTER_REPLY = (_S.REPLIED.value, _S.PENDING_VERIFICATION.value)
HANDLER_ROLES = (Role.STREET_HANDLER, Role.DEPARTMENT_HANDLER, Role.UTILITY_HANDLER)


def own_units(actor: Actor) -> list[tuple[str, int]]:
    """The units (kind, id) the actor handles orders for: one per handler post."""
    units: list[tuple[str, int]] = []
    for post in actor.posts:
        if post.role is Role.STREET_HANDLER and post.region_id is not None:
            units.append(("region", post.region_id))
        elif post.role is Role.DEPARTMENT_HANDLER and post.department_id is not None:
            units.append(("department", post.department_id))
        elif post.role is Role.UTILITY_HANDLER and post.utility_id is not None:
            units.append(("utility", post.utility_id))
    return units


def _held_by(actor: Actor, *unit_roles: str) -> ColumnElement[bool]:
    """Appeals where one of the actor's own units is an active unit in one of ``unit_roles``
    (lead, co). One EXISTS for several roles rather than an OR of one per role: PostgreSQL
    turns a top-level EXISTS into a semi-join it can estimate, while an OR of two keeps them
    as per-row subplans it cannot, and then walks ``received_at`` backwards through the whole
    table hoping to fill a page early (the 本单位待办 list at 1,000,000 appeals)."""
    units = own_units(actor)
    if not units:
        return false()
    return (
        select(AppealUnit.id)
        .where(
            AppealUnit.appeal_id == Appeal.id,
            AppealUnit.released_at.is_(None),
            AppealUnit.role.in_(unit_roles),
            or_(*(and_(AppealUnit.unit_kind == k, AppealUnit.unit_id == i) for k, i in units)),
        )
        .exists()
    )


def _status(*statuses: str) -> ColumnElement[bool]:
    return Appeal.status.in_(list(statuses))


def _due_soon(now: datetime) -> ColumnElement[bool]:
    """Not overdue yet, but the running clock is in its yellow or red share."""
    return and_(
        or_(warning_condition(WarningLevel.RED, now), warning_condition(WarningLevel.YELLOW, now)),
        ~overdue_condition(now),
    )


Condition = Callable[[Actor, datetime], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Queue:
    """One workbench queue: its key (the list filter value), label, and condition."""

    key: str
    label: str
    empty: str  # what the empty state says (what to do next)
    condition: Condition


def _q(key: str, label: str, empty: str, condition: Condition) -> Queue:
    return Queue(key, label, empty, condition)


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in (
        # 派单员
        _q(
            "manual",
            "待派单",
            "没有等待人工派单的工单。",
            lambda a, n: _status(_S.RECEIVED.value, _S.PENDING_DISPATCH.value),
        ),
        _q(
            "return_requests",
            "退单申请",
            "没有待审核的退单申请。",
            lambda a, n: _status(_S.RETURN_REQUESTED.value),
        ),
        _q(
            "extension_requests",
            "延期申请",
            "没有待审核的延期申请。",
            lambda a, n: _status(_S.EXTENSION_REQUESTED.value),
        ),
        # 承办人: lead unit
        _q(
            "to_sign",
            "待签收",
            "没有待签收的工单。",
            lambda a, n: and_(_status(_S.DISPATCHED.value), _held_by(a, "lead")),
        ),
        _q(
            "handling",
            "办理中",
            "没有正在办理的工单。",
            lambda a, n: and_(_status(*HANDLING), _held_by(a, "lead")),
        ),
        _q(
            "due_soon",
            "即将超时",
            "没有即将超时的工单。",
            lambda a, n: and_(_status(*OPEN), _held_by(a, "lead"), _due_soon(n)),
        ),
        _q(
            "overdue_mine",
            "已超时",
            "没有超时的工单。",
            lambda a, n: and_(_status(*OPEN), _held_by(a, "lead"), overdue_condition(n)),
        ),
        _q(
            "sent_back",
            "被退回重办",
            "没有被退回重办的工单。",
            lambda a, n: and_(_status(*HANDLING), _held_by(a, "lead"), Appeal.reopen_count > 0),
        ),
        # 承办人: what my unit must still do, lead or co-unit (the handler's default list)
        _q(
            "mine",
            "本单位待办",
            "本单位没有待办工单。",
            lambda a, n: and_(
                _status(*(s for s in OPEN if s not in AFTER_REPLY)),
                _held_by(a, "lead", "co"),
            ),
        ),
        # 承办人: orders where my unit is a co-unit (协办)
        _q(
            "co_unit",
            "协办中",
            "没有需要本单位协办的工单。",
            lambda a, n: and_(_status(*OPEN), _held_by(a, "co")),
        ),
        # 网格员
        _q(
            "to_verify",
            "待核查",
            "没有待核查的工单。",
            lambda a, n: _status(_S.PENDING_VERIFICATION.value),
        ),
        _q(
            "grid_open",
            "网格内办理中",
            "网格内没有未办结的工单。",
            lambda a, n: _status(*(s for s in OPEN if s != _S.PENDING_VERIFICATION.value)),
        ),
        # 督办
        _q(
            "overdue",
            "已超时",
            "没有超时的工单。",
            lambda a, n: and_(_status(*OPEN), overdue_condition(n)),
        ),
        _q(
            "red",
            "红色预警",
            "没有红色预警的工单。",
            lambda a, n: and_(_status(*OPEN), warning_condition(WarningLevel.RED, n)),
        ),
        _q(
            "yellow",
            "黄色预警",
            "没有黄色预警的工单。",
            lambda a, n: and_(_status(*OPEN), warning_condition(WarningLevel.YELLOW, n)),
        ),
        # 话务员
        _q(
            "callbacks",
            "待回访",
            "没有待回访的工单。",
            lambda a, n: _status(_S.REPLIED.value),
        ),
        # 居民
        _q(
            "my_open",
            "办理中",
            "您没有正在办理的诉求。",
            lambda a, n: and_(_status(*OPEN), Appeal.resident_user_id == a.user_id),
        ),
        _q(
            "my_all",
            "全部诉求",
            "您还没有反映过诉求。",
            lambda a, n: Appeal.resident_user_id == a.user_id,
        ),
        _q(
            "my_to_rate",
            "待评价",
            "没有需要您评价的诉求。",
            lambda a, n: and_(
                _status(_S.REPLIED.value, _S.CLOSED.value),
                Appeal.resident_user_id == a.user_id,
                Appeal.satisfaction.is_(None),
            ),
        ),
    )
}


# The queues that only hold appeals where one of the actor's own units is an active unit in
# one of these roles (their condition includes ``_held_by`` with them).
UNIT_HELD: dict[str, tuple[str, ...]] = {
    "to_sign": ("lead",),
    "handling": ("lead",),
    "due_soon": ("lead",),
    "overdue_mine": ("lead",),
    "sent_back": ("lead",),
    "co_unit": ("co",),
    "mine": ("lead", "co"),
}


def queue(key: str) -> Queue:
    """The queue named ``key``; an unknown name is a clear 4xx."""
    try:
        return QUEUES[key]
    except KeyError as exc:
        raise Invalid(f"未知的待办分类：{key}") from exc


def _scope_for(session: Session, actor: Actor, keys: Sequence[str]) -> list[ColumnElement[bool]]:
    """The data-scope condition of the queues ``keys``: none when every one of them is about
    the actor's own units (:data:`UNIT_HELD`). An active unit row of an own unit (the street,
    department or utility of a handler post) is inside the scope built from the same posts
    (the street's path, the department, the utility), so the filter could only add cost: a
    department's scope is the set of all its 9,000 orders on the city-scale dataset, read for
    every count of its workbench (490 -> 170 ms, docs/benchmarks.md)."""
    if all(k in UNIT_HELD for k in keys):
        return []
    return [visible_condition(session, actor)]


def count_queues(
    session: Session, actor: Actor, keys: Sequence[str], *, now: datetime
) -> dict[str, int]:
    """How many appeals in the actor's scope are in each queue: ONE statement for all keys.

    Only the appeals in at least one of the queues are read (the OR of their conditions): most
    queues hold open appeals, so the status index (or the resident index) answers it instead
    of a pass over every appeal in scope; the sums are the same, counted live on every call."""
    if not keys:
        return {}
    conditions = [queue(k).condition(actor, now) for k in keys]
    columns = [
        func.coalesce(func.sum(case((c, 1), else_=0)), 0).label(k)
        for k, c in zip(keys, conditions, strict=True)
    ]
    where = [*_scope_for(session, actor, keys), or_(*conditions)]
    unit_roles = [UNIT_HELD.get(k) for k in keys]
    if all(unit_roles):
        # Every queue is about the actor's own units: one top-level EXISTS over their active
        # unit rows lets PostgreSQL start from those rows (a semi-join) instead of testing the
        # per-queue EXISTS on every open appeal in scope. Same sums: each queue requires it.
        where.append(_held_by(actor, *sorted({r for roles in unit_roles for r in roles or ()})))
    row = session.execute(select(*columns).where(*where)).one()
    return {k: int(v) for k, v in zip(keys, row, strict=True)}


def list_queue(
    session: Session, actor: Actor, key: str, *, now: datetime, offset: int = 0, limit: int = 50
) -> AppealPage:
    """One page of the queue ``key`` in the actor's scope, newest first."""
    conds = [*_scope_for(session, actor, [key]), queue(key).condition(actor, now)]
    total = session.scalar(select(func.count()).select_from(Appeal).where(*conds)) or 0
    stmt = (
        select(Appeal)
        .where(*conds)
        .order_by(Appeal.received_at.desc(), Appeal.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return AppealPage(list(session.scalars(stmt).all()), int(total))
