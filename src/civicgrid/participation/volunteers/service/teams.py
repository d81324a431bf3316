"""Use cases of volunteer service, teams: volunteer teams of a community and 双报到 (party
organisations and serving party members reporting to the community)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.participation import access
from civicgrid.participation.fields import clean_text
from civicgrid.participation.volunteers.models import (
    PartyOrganisation,
    VolunteerTeam,
)
from civicgrid.participation.volunteers.service.common import (
    COMMUNITY,
)


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
    access.add_unique(session, team, "该社区已有同名服务队")
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
    access.add_unique(session, org, "该党组织已向本社区报到")
    access.audit(session, actor, "participation.party_org.register", "party_org", org.id, now)
    return org
