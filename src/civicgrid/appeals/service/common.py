"""Shared steps of the appeal use cases. Every function here is a joiner: it takes the session,
may flush, and joins the caller's transaction (never commits).

The core step is :func:`transition`: check the workflow table for the actor's roles and unit
membership, change the status, then write the timeline event, the audit row and flush; a
concurrent change of the same appeal (``version`` mismatch) becomes :class:`Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, inspect, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from civicgrid.appeals import queries
from civicgrid.appeals.channels import Flow
from civicgrid.appeals.models import Appeal, TimelineEvent
from civicgrid.appeals.states import AppealStatus
from civicgrid.appeals.workflow import HANDLERS, Action, find_transition, next_status
from civicgrid.audit.service import record
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from civicgrid.events.emit import AppealChange, emit_change
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.territory import queries as territory_queries

SUBJECT = "appeal"
UNIT_KINDS = ("region", "department", "utility")
REGION_UNIT_LEVELS = frozenset({"street", "district"})
UNIT_ROLE = {
    "region": Role.STREET_HANDLER,
    "department": Role.DEPARTMENT_HANDLER,
    "utility": Role.UTILITY_HANDLER,
}
CENTRE = Recipient("role", Role.DISPATCHER.value)


def link(appeal: Appeal) -> str:
    return f"/appeals/{appeal.id}"


@contextmanager
def stale_as_conflict() -> Iterator[None]:
    """Turn a lost race on the appeal's ``version`` (raised by a flush inside) into a 409."""
    try:
        yield
    except StaleDataError as exc:
        raise Conflict("工单已被他人修改，请刷新后重试") from exc


def flush(session: Session) -> None:
    """Flush, turning a lost race on the appeal's ``version`` into a 409."""
    with stale_as_conflict():
        session.flush()


@lru_cache(maxsize=1024)
def _action_select(actor: Actor) -> Select[Appeal]:
    """SELECT of the appeal ``:appeal_id`` with its units (one statement) if ``actor`` may see
    it, by the access module's :func:`~civicgrid.appeals.queries.scope_condition`.

    Kept per actor (actors are immutable values): a use case then neither rebuilds the scope
    condition nor recomputes the statement's cache key, which SQLAlchemy memoises on the
    statement object, and the compiled SQL comes from the engine's cache."""
    return (
        select(Appeal)
        .where(Appeal.id == bindparam("appeal_id"), queries.scope_condition(actor))
        .options(joinedload(Appeal.units))
    )


def load_for_action(
    session: Session, actor: Actor, appeal_id: int, expected_version: int | None
) -> Appeal:
    """The appeal in the actor's scope, with its units; NotFound (from ``queries.by_id_for``)
    when it is missing or out of scope, Conflict when ``expected_version`` is stale."""
    result = session.execute(_action_select(actor), {"appeal_id": appeal_id})
    appeal = result.unique().scalar_one_or_none()
    if appeal is None:
        appeal = queries.by_id_for(session, actor, appeal_id)  # raises the NotFound
    check_version(appeal, expected_version)
    return appeal


def check_version(appeal: Appeal, expected_version: int | None) -> None:
    """Conflict when ``expected_version`` is given and stale."""
    if expected_version is not None and expected_version != appeal.version:
        raise Conflict(
            f"工单已被他人修改（当前版本 {appeal.version}，提交的版本 {expected_version}），"
            "请刷新后重试",
            detail={"version": appeal.version, "expected_version": expected_version},
        )


def require_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(f"请填写{what}", detail={"field": "text"})
    return text


# --- units ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit that can receive an order: a street (region), a department or a utility."""

    kind: str
    id: int
    name: str
    path: str = ""


_PINNED_UNITS = "civicgrid.appeals.pinned_units"


def _unit_row(session: Session, kind: str, unit_id: int, load: Callable[[], Any]) -> Any:
    """The region, department or utility row ``kind``/``unit_id``, read once per session.

    The row stays referenced by the session (``session.info``) so that later dispatches in the
    same session reuse it without a query; it is the same object as in the session's identity
    map, so changes made through this session show, and a row that stopped being persistent
    (rolled back, deleted, expunged) is read again."""
    pins: dict[tuple[str, int], Any] = session.info.setdefault(_PINNED_UNITS, {})
    row = pins.get((kind, unit_id))
    if row is not None and inspect(row).persistent:
        return row
    row = load()
    if row is not None:
        pins[(kind, unit_id)] = row
    else:
        pins.pop((kind, unit_id), None)
    return row


def resolve_unit(session: Session, kind: str, unit_id: int) -> UnitRef:
    """The unit ``kind``/``unit_id``; Invalid when unknown, inactive or not a street/district."""
    if kind == "region":
        region = _unit_row(
            session,
            kind,
            unit_id,
            lambda: territory_queries.regions_by_ids(session, [unit_id]).get(unit_id),
        )
        if region is None or region.level not in REGION_UNIT_LEVELS:
            raise Invalid(
                f"承办单位不存在或不是街乡/区：{unit_id}",
                detail={"field": "unit"},
            )
        return UnitRef("region", region.id, region.name, region.path)
    if kind == "department":
        dept = _unit_row(
            session, kind, unit_id, lambda: territory_queries.find_department(session, unit_id)
        )
        if dept is None or not dept.is_active:
            raise Invalid(
                f"职能部门不存在或已停用：{unit_id}",
                detail={"field": "unit"},
            )
        return UnitRef("department", dept.id, dept.name)
    if kind == "utility":
        util = _unit_row(
            session, kind, unit_id, lambda: territory_queries.find_utility(session, unit_id)
        )
        if util is None or not util.is_active:
            raise Invalid(
                f"公共服务企业不存在或已停用：{unit_id}",
                detail={"field": "unit"},
            )
        return UnitRef("utility", util.id, util.name)
    raise Invalid(
        f"承办单位类型无效：{kind}（应为 region / department / utility）",
        detail={"field": "unit"},
    )


def recipient_for_unit(kind: str, unit_id: int) -> Recipient:
    return Recipient(kind, str(unit_id))


def actor_in_unit(actor: Actor, kind: str, unit_id: int, unit_path: str, role: Role) -> bool:
    """Whether ``actor`` holds ``role`` at this unit (a street by path, or the department /
    utility by id)."""
    if UNIT_ROLE.get(kind) is not role or not actor.has_role(role):
        return False
    if kind == "region":
        return any(unit_path.startswith(p) for p in actor.scope.region_paths)
    if kind == "department":
        return unit_id in actor.scope.department_ids
    return unit_id in actor.scope.utility_ids


def in_lead_unit(actor: Actor, appeal: Appeal, role: Role) -> bool:
    lead = queries.lead_unit(appeal)
    if lead is None:
        return False
    return actor_in_unit(actor, lead.unit_kind, lead.unit_id, lead.unit_path, role)


# --- the transition step ----------------------------------------------------------------------

_ROLE_ORDER = list(Role)


def acting_role(appeal: Appeal, action: Action, actor: Actor) -> Role:
    """The role under which ``actor`` takes ``action`` on ``appeal``.

    InvalidTransition (409) when the action is impossible in the status; Forbidden (403) when
    none of the actor's roles may take it, or a handler is not at the order's lead unit, or a
    grid worker verifies an order outside their grids.
    """
    status = AppealStatus(appeal.status)
    flow = Flow(appeal.flow)
    row = find_transition(status, action, flow=flow)
    role = min(actor.roles, key=_ROLE_ORDER.index) if actor.roles else Role.RESIDENT
    if row is None:
        next_status(status, action, role, flow=flow)  # raises the workflow's message
        raise InvalidTransition(f"{action} not possible")  # pragma: no cover
    candidates = [r for r in _ROLE_ORDER if r in actor.roles and r in row.roles]
    if not candidates:
        try:
            next_status(status, action, role, flow=flow)
        except InvalidTransition as exc:
            raise Forbidden(exc.message, detail=exc.detail) from exc
    for role in candidates:
        if role in HANDLERS and action is not Action.RECORD_ARRIVAL:
            if in_lead_unit(actor, appeal, role):
                return role
            continue
        if role is Role.GRID_WORKER:
            if any(appeal.region_path.startswith(p) for p in actor.scope.region_paths):
                return role
            continue
        return role
    if action is Action.RECORD_ARRIVAL and candidates:
        return candidates[0]
    raise Forbidden(f"您不是本工单的承办单位，不能执行“{action.label}”")


def append_event(
    session: Session,
    appeal: Appeal,
    *,
    action: Action | str,
    actor: Actor,
    role: Role | None,
    now: datetime,
    from_status: str,
    to_status: str,
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Append one timeline event. Joins the caller's transaction."""
    event = TimelineEvent(
        appeal_id=appeal.id,
        at=now,
        action=str(action),
        from_status=from_status,
        to_status=to_status,
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        actor_role=role.value if role else "",
        note=note,
        detail=detail or {},
    )
    session.add(event)
    return event


def record_change(
    session: Session,
    appeal: Appeal,
    *,
    action: Action | str,
    actor: Actor,
    role: Role | None,
    now: datetime,
    from_status: str,
    note: str = "",
    detail: dict[str, Any] | None = None,
    notify: Iterable[Recipient] = (),
    subject: str = "",
) -> TimelineEvent:
    """Timeline event + outbox messages (with the outbound event, if any) + audit row for a
    change already applied to ``appeal``. The change and the records go to the database in one
    flush (409 on a lost race). Joins the caller's transaction."""
    if inspect(appeal).pending:  # a new appeal: its id goes into every record
        flush(session)
    event = append_event(
        session,
        appeal,
        action=action,
        actor=actor,
        role=role,
        now=now,
        from_status=from_status,
        to_status=appeal.status,
        note=note,
        detail=detail,
    )
    label = action.label if isinstance(action, Action) else str(action)
    for recipient in dict.fromkeys(notify):
        enqueue(
            session,
            recipient=recipient,
            subject=subject or f"工单 {appeal.number}：{label}",
            body=note,
            link=link(appeal),
            now=now,
        )
    emit_change(  # the outbound event, if the change is one (events.catalogue)
        session,
        AppealChange(
            appeal_id=appeal.id,
            number=appeal.number,
            action=str(action),
            from_status=from_status,
            to_status=appeal.status,
            detail=detail,
            now=now,
        ),
    )
    with stale_as_conflict():  # the audit joiner flushes everything pending
        record(
            session,
            actor=actor,
            action=f"appeal.{action}",
            subject_type=SUBJECT,
            subject_id=appeal.id,
            now=now,
            reason=note[:500],
            detail={
                "number": appeal.number,
                "from": from_status,
                "to": appeal.status,
                **(detail or {}),
            },
        )
    flush(session)  # a no-op unless the audit joiner stops flushing
    return event


def transition(
    session: Session,
    appeal: Appeal,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    note: str = "",
    detail: dict[str, Any] | None = None,
    notify: Iterable[Recipient] = (),
    role: Role | None = None,
) -> TimelineEvent:
    """Move ``appeal`` by ``action`` (role and unit checked unless ``role`` is given) and
    record it. Field changes the action implies must be made by the caller before or after
    this call, within the same transaction."""
    if role is None:
        role = acting_role(appeal, action, actor)
    before = appeal.status
    target = next_status(AppealStatus(before), action, role, flow=Flow(appeal.flow))
    appeal.status = target.value
    return record_change(
        session,
        appeal,
        action=action,
        actor=actor,
        role=role,
        now=now,
        from_status=before,
        note=note,
        detail=detail,
        notify=notify,
    )


def unit_recipients(appeal: Appeal) -> list[Recipient]:
    return [recipient_for_unit(u.unit_kind, u.unit_id) for u in queries.active_units(appeal)]


def owner_recipients(appeal: Appeal) -> list[Recipient]:
    """The resident who submitted the appeal, if any (their inbox)."""
    if appeal.resident_user_id is None:
        return []
    return [Recipient("user", str(appeal.resident_user_id))]


def get_target_by_number(session: Session, actor: Actor, number: str) -> Appeal:
    try:
        return queries.by_number_for(session, actor, number)
    except NotFound as exc:
        raise Invalid(
            f"并入的工单不存在或无权查看：{number}",
            detail={"field": "merge_target_no"},
        ) from exc
