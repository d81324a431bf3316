"""Use cases of volunteer service, service records: the hours served on an order (服务) or in
an activity, with no two records of one volunteer overlapping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid, NotFound
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.participation import access
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    ServiceOrder,
    ServiceRecord,
    Volunteer,
)
from civicgrid.participation.volunteers.service.common import (
    move_order,
)


def _check_no_overlap(session: Session, volunteer_id: int, span: r.Interval) -> None:
    clash = r.find_overlap(span, queries.intervals_of(session, volunteer_id))
    if clash is not None:
        start = to_beijing(clash.started_at).strftime("%m-%d %H:%M")
        end = to_beijing(clash.ended_at).strftime("%H:%M")
        raise Conflict(f"该志愿者在 {start}–{end} 已有服务记录，时间不能重叠")


def _add_record(
    session: Session,
    *,
    volunteer: Volunteer,
    order_id: int | None,
    activity: str,
    place: str,
    content: str,
    started_at: datetime,
    ended_at: datetime,
    travel_minutes: int,
    actor: Actor,
    now: datetime,
    confirmed: bool,
) -> ServiceRecord:
    """Validate hours and overlaps and add one service record. Joins the caller's
    transaction."""
    minutes = r.service_minutes(started_at, ended_at, travel_minutes)
    if ended_at > now:
        raise Invalid("服务结束时间不能晚于现在：请在服务结束后登记")
    _check_no_overlap(session, volunteer.id, r.Interval(started_at, ended_at))
    record = ServiceRecord(
        volunteer_id=volunteer.id,
        order_id=order_id,
        activity=clean_text(activity, "服务项目", 200),
        place=clean_text(place, "服务地点", 200, required=False),
        content=clean_text(content, "服务内容", 2000, required=False),
        started_at=started_at,
        ended_at=ended_at,
        travel_minutes=travel_minutes,
        minutes=minutes,
        recorded_by_label=actor.display_name,
        recorded_at=now,
        confirmed_at=now if confirmed else None,
        confirmed_by_label=actor.display_name if confirmed else "",
        region_path=volunteer.region_path,
    )
    session.add(record)
    session.flush()
    access.audit(
        session,
        actor,
        "participation.record.create",
        "service_record",
        record.id,
        now,
        volunteer_id=volunteer.id,
        minutes=minutes,
    )
    return record


@use_case
def record_service(
    session: Session,
    *,
    order_id: int,
    started_at: datetime,
    ended_at: datetime,
    travel_minutes: int = 0,
    content: str = "",
    place: str = "",
    actor: Actor,
    now: datetime,
) -> ServiceRecord:
    """The volunteer who took the order (or staff for them) records the actual service time;
    travel is excluded, spans of one volunteer never overlap. The resident confirms next."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    own = queries.volunteer_for_user(session, actor.user_id)
    is_taker = own is not None and own.id == order.volunteer_id
    if not is_taker:
        access.require_manager(actor, "登记服务记录")
        access.check_scope(actor, order.region_path, "服务单", order_id)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.RECORD)
    assert order.volunteer_id is not None
    volunteer = session.get(Volunteer, order.volunteer_id)
    assert volunteer is not None
    record = _add_record(
        session,
        volunteer=volunteer,
        order_id=order.id,
        activity=order.title,
        place=place,
        content=content,
        started_at=started_at,
        ended_at=ended_at,
        travel_minutes=travel_minutes,
        actor=actor,
        now=now,
        confirmed=False,
    )
    move_order(session, order, r.OrderAction.RECORD, actor, now, record_id=record.id)
    if order.requester_user_id is not None:
        enqueue(
            session,
            recipient=Recipient("user", str(order.requester_user_id)),
            subject=f"请确认志愿服务：{order.title}（{r.hours_text(record.minutes)} 小时）",
            link=f"/participation/orders/{order.id}",
            now=now,
        )
    return record


@use_case
def record_activity(
    session: Session,
    *,
    volunteer_id: int,
    activity: str,
    started_at: datetime,
    ended_at: datetime,
    travel_minutes: int = 0,
    content: str = "",
    place: str = "",
    actor: Actor,
    now: datetime,
) -> ServiceRecord:
    """Staff record service at a community activity (no single requester); the organiser's
    record counts as confirmed."""
    access.require_manager(actor, "登记服务记录")
    volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    access.check_scope(actor, volunteer.region_path, "志愿者", volunteer_id)
    return _add_record(
        session,
        volunteer=volunteer,
        order_id=None,
        activity=activity,
        place=place,
        content=content,
        started_at=started_at,
        ended_at=ended_at,
        travel_minutes=travel_minutes,
        actor=actor,
        now=now,
        confirmed=True,
    )
