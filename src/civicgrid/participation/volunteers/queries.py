"""Read side of volunteer service: scoped lists of teams, volunteers, party organisations and
orders; a resident's and a volunteer's own orders; confirmed hours; certificates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from civicgrid.auth.actor import Actor
from civicgrid.errors import NotFound
from civicgrid.participation import access
from civicgrid.participation.volunteers.models import (
    PartyOrganisation,
    ServiceCertificate,
    ServiceOrder,
    ServiceRecord,
    Volunteer,
    VolunteerTeam,
)
from civicgrid.participation.volunteers.rules import Interval

MAX_LIMIT = 200


def scope_clause(column: InstrumentedAttribute[str], actor: Actor) -> ColumnElement[bool]:
    if actor.scope.is_global:
        return true()
    prefixes = actor.scope.minimal_paths()
    if not prefixes:
        return false()
    return or_(*(column.startswith(p, autoescape=True) for p in prefixes))


def list_teams_for(session: Session, actor: Actor) -> Sequence[VolunteerTeam]:
    stmt = (
        select(VolunteerTeam)
        .where(scope_clause(VolunteerTeam.region_path, actor))
        .order_by(VolunteerTeam.region_id, VolunteerTeam.id)
    )
    return session.scalars(stmt).all()


def teams_in_path(session: Session, region_path: str) -> Sequence[VolunteerTeam]:
    """Teams of a community (for the assignment form)."""
    stmt = select(VolunteerTeam).where(VolunteerTeam.region_path == region_path)
    return session.scalars(stmt.order_by(VolunteerTeam.id)).all()


def list_party_orgs_for(session: Session, actor: Actor) -> Sequence[PartyOrganisation]:
    stmt = (
        select(PartyOrganisation)
        .where(scope_clause(PartyOrganisation.region_path, actor))
        .order_by(PartyOrganisation.id)
    )
    return session.scalars(stmt).all()


def list_volunteers_for(
    session: Session, actor: Actor, *, party_members_only: bool = False, limit: int = 100
) -> Sequence[Volunteer]:
    stmt = select(Volunteer).where(scope_clause(Volunteer.region_path, actor))
    if party_members_only:
        stmt = stmt.where(Volunteer.is_party_member.is_(True))
    return session.scalars(stmt.order_by(Volunteer.id).limit(min(limit, MAX_LIMIT))).all()


def volunteer_for_user(session: Session, user_id: int | None) -> Volunteer | None:
    if user_id is None:
        return None
    return session.scalars(select(Volunteer).where(Volunteer.user_id == user_id)).one_or_none()


def get_volunteer_for(session: Session, actor: Actor, volunteer_id: int) -> Volunteer:
    """A volunteer in the actor's scope, or the actor's own volunteer record."""
    found = session.get(Volunteer, volunteer_id)
    if found is None or not (
        actor.scope.covers_path(found.region_path)
        or (actor.user_id is not None and found.user_id == actor.user_id)
    ):
        raise NotFound(f"志愿者 {volunteer_id} 不存在或不在您的数据范围内")
    return found


def confirmed_minutes(session: Session, volunteer_ids: Sequence[int]) -> dict[int, int]:
    """Confirmed service minutes per volunteer (unconfirmed records do not count)."""
    if not volunteer_ids:
        return {}
    rows = session.execute(
        select(ServiceRecord.volunteer_id, func.sum(ServiceRecord.minutes))
        .where(
            ServiceRecord.volunteer_id.in_(list(volunteer_ids)),
            ServiceRecord.confirmed_at.is_not(None),
        )
        .group_by(ServiceRecord.volunteer_id)
    )
    return {vid: int(total or 0) for vid, total in rows}


def records_of(session: Session, volunteer_id: int) -> Sequence[ServiceRecord]:
    stmt = (
        select(ServiceRecord)
        .where(ServiceRecord.volunteer_id == volunteer_id)
        .order_by(ServiceRecord.started_at.desc())
    )
    return session.scalars(stmt).all()


def intervals_of(session: Session, volunteer_id: int) -> list[Interval]:
    """The volunteer's recorded spans (for the overlap rule)."""
    rows = session.execute(
        select(ServiceRecord.id, ServiceRecord.started_at, ServiceRecord.ended_at).where(
            ServiceRecord.volunteer_id == volunteer_id
        )
    )
    return [Interval(started, ended, rid) for rid, started, ended in rows]


def record_of_order(session: Session, order_id: int) -> ServiceRecord | None:
    return session.scalars(
        select(ServiceRecord).where(ServiceRecord.order_id == order_id)
    ).one_or_none()


def get_order_for(session: Session, actor: Actor, order_id: int) -> ServiceOrder:
    """An order the actor may see: staff scope, the requester, the linked resident, or the
    volunteer who took it / a member of the team it is assigned to."""
    order = session.get(ServiceOrder, order_id)
    if order is None or not can_see_order(session, actor, order):
        raise NotFound(f"服务单 {order_id} 不存在或不在您的范围内")
    return order


def can_see_order(session: Session, actor: Actor, order: ServiceOrder) -> bool:
    if access.is_staff(actor) and actor.scope.covers_path(order.region_path):
        return True
    if actor.user_id is not None and order.requester_user_id == actor.user_id:
        return True
    resident_id = access.linked_resident_id(session, actor.user_id)
    if resident_id is not None and order.resident_id == resident_id:
        return True
    volunteer = volunteer_for_user(session, actor.user_id)
    if volunteer is None:
        return False
    return order.volunteer_id == volunteer.id or (
        order.team_id is not None and order.team_id == volunteer.team_id
    )


def list_orders_for(
    session: Session, actor: Actor, *, status: str | None = None, limit: int = 100
) -> Sequence[ServiceOrder]:
    """Orders of the staff actor's scope, newest first."""
    stmt = select(ServiceOrder).where(scope_clause(ServiceOrder.region_path, actor))
    if status:
        stmt = stmt.where(ServiceOrder.status == status)
    return session.scalars(stmt.order_by(ServiceOrder.id.desc()).limit(min(limit, MAX_LIMIT))).all()


def my_orders(session: Session, actor: Actor, *, limit: int = 100) -> Sequence[ServiceOrder]:
    """Orders a resident placed (or that were placed for their linked resident)."""
    conds: list[ColumnElement[bool]] = []
    if actor.user_id is not None:
        conds.append(ServiceOrder.requester_user_id == actor.user_id)
    resident_id = access.linked_resident_id(session, actor.user_id)
    if resident_id is not None:
        conds.append(ServiceOrder.resident_id == resident_id)
    if not conds:
        return []
    stmt = select(ServiceOrder).where(or_(*conds)).order_by(ServiceOrder.id.desc())
    return session.scalars(stmt.limit(min(limit, MAX_LIMIT))).all()


def volunteer_orders(
    session: Session, volunteer: Volunteer, *, limit: int = 100
) -> Sequence[ServiceOrder]:
    """Orders a volunteer took, and orders assigned to their team waiting to be taken."""
    conds: list[ColumnElement[bool]] = [ServiceOrder.volunteer_id == volunteer.id]
    if volunteer.team_id is not None:
        conds.append(
            (ServiceOrder.team_id == volunteer.team_id) & (ServiceOrder.status == "assigned")
        )
    stmt = select(ServiceOrder).where(or_(*conds)).order_by(ServiceOrder.id.desc())
    return session.scalars(stmt.limit(min(limit, MAX_LIMIT))).all()


def team_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(VolunteerTeam.id, VolunteerTeam.name).where(VolunteerTeam.id.in_(wanted))
    )
    return dict(rows.all())


def volunteer_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Volunteer.id, Volunteer.name).where(Volunteer.id.in_(wanted)))
    return dict(rows.all())


def party_org_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(
        select(PartyOrganisation.id, PartyOrganisation.name).where(PartyOrganisation.id.in_(wanted))
    )
    return dict(rows.all())


@dataclass(frozen=True)
class PartyOrgSummary:
    """双报到 ledger line: an organisation, its serving party members and their hours."""

    org: PartyOrganisation
    member_count: int
    minutes: int


def party_org_summaries(session: Session, actor: Actor) -> list[PartyOrgSummary]:
    orgs = list_party_orgs_for(session, actor)
    if not orgs:
        return []
    members = session.execute(
        select(Volunteer.party_org_id, Volunteer.id).where(
            Volunteer.party_org_id.in_([o.id for o in orgs])
        )
    ).all()
    minutes = confirmed_minutes(session, [vid for _, vid in members])
    out = []
    for org in orgs:
        ids = [vid for oid, vid in members if oid == org.id]
        out.append(PartyOrgSummary(org, len(ids), sum(minutes.get(v, 0) for v in ids)))
    return out


def get_certificate_for(session: Session, actor: Actor, certificate_id: int) -> ServiceCertificate:
    """A certificate in the staff scope, or one of the actor's own (as a volunteer)."""
    cert = session.get(ServiceCertificate, certificate_id)
    if cert is None:
        raise NotFound(f"证明 {certificate_id} 不存在")
    own = volunteer_for_user(session, actor.user_id)
    if not (
        (access.is_staff(actor) and actor.scope.covers_path(cert.region_path))
        or (own is not None and own.id == cert.volunteer_id)
    ):
        raise NotFound(f"证明 {certificate_id} 不存在或不在您的范围内")
    return cert


def certificates_of(session: Session, volunteer_id: int) -> Sequence[ServiceCertificate]:
    stmt = (
        select(ServiceCertificate)
        .where(ServiceCertificate.volunteer_id == volunteer_id)
        .order_by(ServiceCertificate.id.desc())
    )
    return session.scalars(stmt).all()


def count_in(session: Session, column: InstrumentedAttribute[str], path: str) -> int:
    """How many rows of ``column``'s table belong to the region with this path."""
    stmt = select(func.count()).where(column == path)
    return int(session.scalar(stmt) or 0)
