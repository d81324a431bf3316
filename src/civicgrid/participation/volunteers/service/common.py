"""Steps shared by the volunteer use cases: the team of a community, an order loaded for
its managers or checked against its requester, and a status move with its audit row. Joiners:
they take the session and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.participation import access
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    ServiceOrder,
    VolunteerTeam,
)

COMMUNITY = ("community",)


def team_in(session: Session, team_id: int, region_path: str) -> VolunteerTeam:
    team = session.get(VolunteerTeam, team_id)
    if team is None or team.region_path != region_path:
        raise Invalid(f"服务队 {team_id} 不属于该社区")
    return team


def move_order(
    session: Session,
    order: ServiceOrder,
    action: r.OrderAction,
    actor: Actor,
    now: datetime,
    **detail: object,
) -> None:
    before = r.OrderStatus(order.status)
    after = r.next_order_status(before, action)
    order.status = after.value
    order.updated_at = now
    access.flush_versioned(session, "服务单")
    access.audit(
        session,
        actor,
        f"participation.order.{action.value}",
        "order",
        order.id,
        now,
        from_status=before.value,
        to_status=after.value,
        **detail,
    )


def order_for_manage(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    access.require_manager(actor, "管理服务单")
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    access.check_scope(actor, order.region_path, "服务单", order_id)
    return order


def require_requester(session: Session, actor: Actor, order: ServiceOrder) -> None:
    mine = actor.user_id is not None and order.requester_user_id == actor.user_id
    linked = access.linked_resident_id(session, actor.user_id)
    if not (mine or (linked is not None and linked == order.resident_id)):
        if queries.can_see_order(session, actor, order):
            raise Forbidden("只有服务对象（点单居民）可以确认和评价")
        raise NotFound(f"服务单 {order.id} 不存在或不在您的范围内")
