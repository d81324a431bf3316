"""Use cases of volunteer service, orders (点单 → 派单 → 接单 → 确认 → 评价): placing an order,
assigning it to a team, taking it, the requester's confirmation and rating, and cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Forbidden, Invalid, NotFound
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.participation import access
from civicgrid.participation.consultations.states import is_eligible
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    ServiceOrder,
)
from civicgrid.participation.volunteers.service.common import (
    COMMUNITY,
    move_order,
    order_for_manage,
    require_requester,
    team_in,
)


@dataclass(frozen=True)
class NewOrder:
    """A resident's service order (点单)."""

    region_code: str
    title: str
    description: str = ""
    skill: str = ""
    wanted_at: datetime | None = None
    resident_id: int | None = None


@use_case
def place_order(session: Session, *, data: NewOrder, actor: Actor, now: datetime) -> ServiceOrder:
    """A resident orders a service from their community (点单); staff may place one on behalf
    of a registered resident (``resident_id``), e.g. taken by phone."""
    if access.is_staff(actor):
        access.require_manager(actor, "代居民点单")
        region = access.region_in_scope(session, actor, data.region_code, COMMUNITY, "服务单")
        if data.resident_id is None:
            raise Invalid("代居民点单时请选择居民")
        resident = access.staff_resident(session, actor, data.resident_id)
        resident_id = resident.id
        label = resident.name
    else:
        access.require_roles(actor, access.RESIDENT_ROLES, "点单")
        resident_id = access.require_linked_resident(session, actor)
        region = access.region_any(session, data.region_code, COMMUNITY, "服务单")
        label = actor.display_name
    paths = access.current_residence_paths(session, resident_id, now.date())
    if not is_eligible(region.path, paths):
        raise Forbidden("只能向居民所住社区点单")
    if data.wanted_at is not None and data.wanted_at.tzinfo is None:
        raise Invalid("期望服务时间须带时区")
    if data.wanted_at is not None and data.wanted_at < now:
        raise Invalid("期望服务时间不能早于现在")
    order = ServiceOrder(
        number=r.order_number(
            region.code,
            to_beijing(now).year,
            queries.count_in(session, ServiceOrder.region_path, region.path) + 1,
        ),
        title=clean_text(data.title, "服务需求", 200),
        description=clean_text(data.description, "需求说明", 2000, required=False),
        skill=clean_text(data.skill, "所需技能", 40, required=False),
        wanted_at=data.wanted_at,
        requester_user_id=actor.user_id,
        requester_label=label,
        resident_id=resident_id,
        region_id=region.id,
        region_path=region.path,
        status=r.OrderStatus.ORDERED.value,
        created_at=now,
        updated_at=now,
    )
    access.add_unique(session, order, "服务单号冲突，请重试")
    access.audit(session, actor, "participation.order.place", "order", order.id, now)
    enqueue(
        session,
        recipient=Recipient("region", str(region.id)),
        subject=f"新的志愿服务点单：{order.title}",
        link=f"/participation/orders/{order.id}",
        now=now,
    )
    return order


@use_case
def assign_order(
    session: Session, *, order_id: int, team_id: int, actor: Actor, now: datetime
) -> ServiceOrder:
    """The community sends the order to one of its teams (派单)."""
    order = order_for_manage(session, actor, order_id)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.ASSIGN)
    team = team_in(session, team_id, order.region_path)
    order.team_id = team.id
    order.assigned_at = now
    move_order(session, order, r.OrderAction.ASSIGN, actor, now, team_id=team.id)
    enqueue(
        session,
        recipient=Recipient("team", str(team.id)),
        subject=f"服务队有新派单：{order.title}",
        link=f"/participation/orders/{order.id}",
        now=now,
    )
    return order


@use_case
def take_order(
    session: Session,
    *,
    order_id: int,
    actor: Actor,
    now: datetime,
    volunteer_id: int | None = None,
) -> ServiceOrder:
    """A volunteer of the assigned team, or a serving party member registered with the
    community, takes the order (接单). Staff may record it for a volunteer. Taking an order
    someone already took is a Conflict (409)."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    if volunteer_id is not None:
        access.require_manager(actor, "代志愿者接单")
        access.check_scope(actor, order.region_path, "服务单", order_id)
        volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    else:
        found = queries.volunteer_for_user(session, actor.user_id)
        if found is None:
            raise Forbidden("您还不是注册志愿者，请先注册")
        volunteer = found
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.TAKE)
    in_team = order.team_id is not None and volunteer.team_id == order.team_id
    party_member_here = volunteer.is_party_member and volunteer.region_path == order.region_path
    if not (in_team or party_member_here):
        raise Forbidden("只有被派单服务队的志愿者或本社区报到的在职党员可以接单")
    order.volunteer_id = volunteer.id
    order.taken_at = now
    move_order(session, order, r.OrderAction.TAKE, actor, now, volunteer_id=volunteer.id)
    return order


@use_case
def confirm_service(
    session: Session, *, order_id: int, actor: Actor, now: datetime
) -> ServiceOrder:
    """The resident served confirms the service record (hours count from now on)."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.CONFIRM)
    record = queries.record_of_order(session, order.id)
    assert record is not None
    record.confirmed_at = now
    record.confirmed_by_label = actor.display_name
    move_order(session, order, r.OrderAction.CONFIRM, actor, now, record_id=record.id)
    return order


@use_case
def rate_order(
    session: Session, *, order_id: int, rating: int, comment: str = "", actor: Actor, now: datetime
) -> ServiceOrder:
    """The resident rates the service (1-5 stars) after confirming it."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.RATE)
    r.check_rating(rating)
    order.rating = rating
    order.rating_comment = clean_text(comment, "评价", 500, required=False)
    move_order(session, order, r.OrderAction.RATE, actor, now, rating=rating)
    return order


@use_case
def cancel_order(
    session: Session, *, order_id: int, reason: str, actor: Actor, now: datetime
) -> ServiceOrder:
    """The requester or the community cancels an order nobody has taken yet."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    if not (access.is_staff(actor) and actor.scope.covers_path(order.region_path)):
        require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.CANCEL)
    clean_text(reason, "取消原因", 500)
    move_order(session, order, r.OrderAction.CANCEL, actor, now, reason=reason.strip())
    return order
