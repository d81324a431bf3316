"""Use cases of volunteer service, registration: a resident registers as a volunteer (by
themself or by community staff) and joins a team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Forbidden, Invalid
from civicgrid.kit.masking import mask_phone
from civicgrid.participation import access
from civicgrid.participation.consultations.states import is_eligible
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers import queries
from civicgrid.participation.volunteers import rules as r
from civicgrid.participation.volunteers.models import (
    PartyOrganisation,
    Volunteer,
)
from civicgrid.participation.volunteers.service.common import (
    COMMUNITY,
    team_in,
)


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
            raise Forbidden("只能在您居住的社区注册志愿者")
        user_id = actor.user_id
    if user_id is not None and queries.volunteer_for_user(session, user_id) is not None:
        raise Conflict("该账号已注册为志愿者")
    skills = r.normalise_skills(data.skills)
    if data.team_id is not None:
        team_in(session, data.team_id, region.path)
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
    access.add_unique(session, volunteer, "志愿者登记冲突，请重试")
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
        team_in(session, team_id, volunteer.region_path)
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
