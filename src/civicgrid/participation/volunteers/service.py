"""Use cases of volunteer service: teams, 双报到 of party organisations and serving party
members, volunteer registration, service orders (点单 → 派单 → 接单 → 服务 → 确认 → 评价),
service records with hours, and certificates. One transaction each, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.clock import to_beijing
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid, NotFound
from civicgrid.kit.masking import mask_phone
from civicgrid.notify.service import Recipient, enqueue
from civicgrid.participation import access
from civicgrid.participation.consultations.states import is_eligible
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    PartyOrganisation,
    ServiceCertificate,
    ServiceOrder,
    ServiceRecord,
    Volunteer,
    VolunteerTeam,
)

COMMUNITY = ("community",)


def _team_in(session: Session, team_id: int, region_path: str) -> VolunteerTeam:
    team = session.get(VolunteerTeam, team_id)
    if team is None or team.region_path != region_path:
        raise Invalid(f"服务队 {team_id} 不属于该社区 (team is not of this community)")
    return team


# --- teams and 双报到 ---------------------------------------------------------------------------


@use_case
def create_team(
    session: Session,
    *,
    region_code: str,
    name: str,
    colour: str = "",
    service_area: str = "",
    actor: Actor,
    now: datetime,
) -> VolunteerTeam:
    """Set up a volunteer team of a community in the actor's scope."""
    access.require_manager(actor, "管理志愿服务队")
    region = access.region_in_scope(session, actor, region_code, COMMUNITY, "服务队")
    team = VolunteerTeam(
        name=clean_text(name, "服务队名称", 100),
        colour=clean_text(colour, "颜色", 20, required=False),
        service_area=clean_text(service_area, "服务领域", 200, required=False),
        region_id=region.id,
        region_path=region.path,
        created_at=now,
    )
    access.add_unique(session, team, "该社区已有同名服务队 (team name taken)")
    access.audit(session, actor, "participation.team.create", "team", team.id, now)
    return team


@use_case
def register_party_org(
    session: Session,
    *,
    region_code: str,
    name: str,
    contact: str = "",
    actor: Actor,
    now: datetime,
) -> PartyOrganisation:
    """A party organisation reports to a community (单位党组织双报到)."""
    access.require_manager(actor, "登记双报到")
    region = access.region_in_scope(session, actor, region_code, COMMUNITY, "双报到")
    org = PartyOrganisation(
        name=clean_text(name, "党组织名称", 200),
        contact=clean_text(contact, "联系人", 100, required=False),
        region_id=region.id,
        region_path=region.path,
        reported_at=now,
    )
    access.add_unique(session, org, "该党组织已向本社区报到 (already registered)")
    access.audit(session, actor, "participation.party_org.register", "party_org", org.id, now)
    return org


# --- volunteers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVolunteer:
    """A volunteer registration (《志愿服务条例》Art. 7: identity, skills, time, contact)."""

    region_code: str
    name: str
    phone: str = ""
    skills: tuple[str, ...] = ()
    availability: str = ""
    team_id: int | None = None
    is_party_member: bool = False
    party_org_id: int | None = None
    resident_id: int | None = None
    user_id: int | None = None


@use_case
def register_volunteer(
    session: Session, *, data: NewVolunteer, actor: Actor, now: datetime
) -> Volunteer:
    """Register a volunteer with a community. Staff register anyone for a community in scope;
    a resident registers themselves for the community they live in."""
    if access.is_staff(actor):
        access.require_manager(actor, "登记志愿者")
        region = access.region_in_scope(session, actor, data.region_code, COMMUNITY, "志愿者")
        if data.resident_id is not None:
            access.staff_resident(session, actor, data.resident_id)
        user_id, resident_id = data.user_id, data.resident_id
    else:
        access.require_roles(actor, access.RESIDENT_ROLES, "注册志愿者")
        resident_id = access.require_linked_resident(session, actor)
        region = access.region_any(session, data.region_code, COMMUNITY, "志愿者")
        paths = access.current_residence_paths(session, resident_id, now.date())
        if not is_eligible(region.path, paths):
            raise Forbidden("只能在您居住的社区注册志愿者 (register in your own community)")
        user_id = actor.user_id
    if user_id is not None and queries.volunteer_for_user(session, user_id) is not None:
        raise Conflict("该账号已注册为志愿者 (already a volunteer)")
    skills = r.normalise_skills(data.skills)
    if data.team_id is not None:
        _team_in(session, data.team_id, region.path)
    if data.party_org_id is not None:
        if not data.is_party_member:
            raise Invalid("只有党员志愿者才能选择所在党组织")
        org = session.get(PartyOrganisation, data.party_org_id)
        if org is None or org.region_path != region.path:
            raise Invalid("所选党组织未向本社区报到")
    phone = "".join(ch for ch in data.phone if ch.isdigit() or ch == "-")
    volunteer = Volunteer(
        volunteer_no=r.volunteer_number(
            region.code, queries.count_in(session, Volunteer.region_path, region.path) + 1
        ),
        name=clean_text(data.name, "姓名", 50),
        phone_masked=mask_phone(phone) if phone else "",
        user_id=user_id,
        resident_id=resident_id,
        skills=skills,
        availability=clean_text(data.availability, "服务时间", 200, required=False),
        team_id=data.team_id,
        is_party_member=data.is_party_member,
        party_org_id=data.party_org_id,
        party_reported_at=now if data.is_party_member else None,
        region_id=region.id,
        region_path=region.path,
        registered_at=now,
    )
    access.add_unique(session, volunteer, "志愿者登记冲突，请重试 (registration conflict)")
    access.audit(
        session,
        actor,
        "participation.volunteer.register",
        "volunteer",
        volunteer.id,
        now,
        is_party_member=data.is_party_member,
    )
    return volunteer


@use_case
def join_team(
    session: Session, *, volunteer_id: int, team_id: int | None, actor: Actor, now: datetime
) -> Volunteer:
    """Put a volunteer into a team of their community (or take them out with ``None``)."""
    access.require_manager(actor, "管理志愿者")
    volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    access.check_scope(actor, volunteer.region_path, "志愿者", volunteer_id)
    if team_id is not None:
        _team_in(session, team_id, volunteer.region_path)
    volunteer.team_id = team_id
    session.flush()
    access.audit(
        session,
        actor,
        "participation.volunteer.join_team",
        "volunteer",
        volunteer.id,
        now,
        team_id=team_id,
    )
    return volunteer


# --- orders -----------------------------------------------------------------------------------


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
            raise Invalid("代居民点单时请选择居民 (resident required)")
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
        raise Forbidden("只能向居民所住社区点单 (order from your own community)")
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
    access.add_unique(session, order, "服务单号冲突，请重试 (order number conflict)")
    access.audit(session, actor, "participation.order.place", "order", order.id, now)
    enqueue(
        session,
        recipient=Recipient("region", str(region.id)),
        subject=f"新的志愿服务点单：{order.title}",
        link=f"/participation/orders/{order.id}",
        now=now,
    )
    return order


def _move(
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


def _order_for_manage(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    access.require_manager(actor, "管理服务单")
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    access.check_scope(actor, order.region_path, "服务单", order_id)
    return order


@use_case
def assign_order(
    session: Session, *, order_id: int, team_id: int, actor: Actor, now: datetime
) -> ServiceOrder:
    """The community sends the order to one of its teams (派单)."""
    order = _order_for_manage(session, actor, order_id)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.ASSIGN)
    team = _team_in(session, team_id, order.region_path)
    order.team_id = team.id
    order.assigned_at = now
    _move(session, order, r.OrderAction.ASSIGN, actor, now, team_id=team.id)
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
            raise Forbidden("您还不是注册志愿者，请先注册 (register as a volunteer first)")
        volunteer = found
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.TAKE)
    in_team = order.team_id is not None and volunteer.team_id == order.team_id
    party_member_here = volunteer.is_party_member and volunteer.region_path == order.region_path
    if not (in_team or party_member_here):
        raise Forbidden("只有被派单服务队的志愿者或本社区报到的在职党员可以接单")
    order.volunteer_id = volunteer.id
    order.taken_at = now
    _move(session, order, r.OrderAction.TAKE, actor, now, volunteer_id=volunteer.id)
    return order


def _check_no_overlap(session: Session, volunteer_id: int, span: r.Interval) -> None:
    clash = r.find_overlap(span, queries.intervals_of(session, volunteer_id))
    if clash is not None:
        start = to_beijing(clash.started_at).strftime("%m-%d %H:%M")
        end = to_beijing(clash.ended_at).strftime("%H:%M")
        raise Conflict(
            f"该志愿者在 {start}–{end} 已有服务记录，时间不能重叠 (overlapping service record)"
        )


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
    _move(session, order, r.OrderAction.RECORD, actor, now, record_id=record.id)
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


def _require_requester(session: Session, actor: Actor, order: ServiceOrder) -> None:
    mine = actor.user_id is not None and order.requester_user_id == actor.user_id
    linked = access.linked_resident_id(session, actor.user_id)
    if not (mine or (linked is not None and linked == order.resident_id)):
        if queries.can_see_order(session, actor, order):
            raise Forbidden("只有服务对象（点单居民）可以确认和评价 (only the requester)")
        raise NotFound(f"服务单 {order.id} 不存在或不在您的范围内")


@use_case
def confirm_service(
    session: Session, *, order_id: int, actor: Actor, now: datetime
) -> ServiceOrder:
    """The resident served confirms the service record (hours count from now on)."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    _require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.CONFIRM)
    record = queries.record_of_order(session, order.id)
    assert record is not None
    record.confirmed_at = now
    record.confirmed_by_label = actor.display_name
    _move(session, order, r.OrderAction.CONFIRM, actor, now, record_id=record.id)
    return order


@use_case
def rate_order(
    session: Session, *, order_id: int, rating: int, comment: str = "", actor: Actor, now: datetime
) -> ServiceOrder:
    """The resident rates the service (1-5 stars) after confirming it."""
    order = session.get(ServiceOrder, order_id)
    if order is None:
        raise NotFound(f"服务单 {order_id} 不存在")
    _require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.RATE)
    r.check_rating(rating)
    order.rating = rating
    order.rating_comment = clean_text(comment, "评价", 500, required=False)
    _move(session, order, r.OrderAction.RATE, actor, now, rating=rating)
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
        _require_requester(session, actor, order)
    r.next_order_status(r.OrderStatus(order.status), r.OrderAction.CANCEL)
    clean_text(reason, "取消原因", 500)
    _move(session, order, r.OrderAction.CANCEL, actor, now, reason=reason.strip())
    return order


# --- certificates -------------------------------------------------------------------------------


@use_case
def issue_certificate(
    session: Session,
    *,
    volunteer_id: int,
    signer: str,
    handler: str,
    contact: str,
    actor: Actor,
    now: datetime,
) -> ServiceCertificate:
    """Issue a service certificate (志愿服务证明) over the volunteer's confirmed hours, free of
    charge, with number, issuer, responsible person, handler and contact (DOMAIN §6)."""
    access.require_manager(actor, "出具志愿服务证明")
    volunteer = queries.get_volunteer_for(session, actor, volunteer_id)
    access.check_scope(actor, volunteer.region_path, "志愿者", volunteer_id)
    records = [x for x in queries.records_of(session, volunteer.id) if x.confirmed_at]
    total = sum(x.minutes for x in records)
    if total <= 0:
        raise Invalid("该志愿者还没有经确认的服务时长，无法出具证明 (no confirmed hours)")
    code = access.region_code(session, volunteer.region_id)
    issuer = access.region_names(session, [volunteer.region_id]).get(volunteer.region_id, "")
    activities = list(dict.fromkeys(x.activity for x in records))
    cert = ServiceCertificate(
        number=r.certificate_number(
            code,
            to_beijing(now).year,
            queries.count_in(session, ServiceCertificate.region_path, volunteer.region_path) + 1,
        ),
        volunteer_id=volunteer.id,
        issuer=f"{issuer}居民委员会",
        signer=clean_text(signer, "负责人", 50),
        handler=clean_text(handler, "经办人", 50),
        contact=clean_text(contact, "联系电话", 50),
        minutes_total=total,
        record_count=len(records),
        content_summary="、".join(activities)[:2000],
        region_path=volunteer.region_path,
        issued_at=now,
    )
    access.add_unique(session, cert, "证明编号冲突，请重试 (certificate number conflict)")
    access.audit(
        session,
        actor,
        "participation.certificate.issue",
        "certificate",
        cert.id,
        now,
        volunteer_id=volunteer.id,
        minutes=total,
    )
    return cert
