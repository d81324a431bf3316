"""Builders for participation: a small world on the mini-territory with community staff,
resident accounts linked to register residents, and consultations / orders walked through
the real use cases to a wanted status."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from civicgrid.auth import service as auth_service
from civicgrid.auth.actor import Actor
from civicgrid.auth.roles import Role
from civicgrid.participation.consultations import service as consultations
from civicgrid.participation.consultations import states as cst
from civicgrid.participation.consultations.models import Consultation
from civicgrid.participation.volunteers import service as volunteers
from civicgrid.participation.volunteers.models import ServiceOrder, Volunteer, VolunteerTeam
from civicgrid.register.models import Resident
from tests.builders.auth import MiniTerritory, make_user
from tests.builders.register import make_house, make_resident

T = MiniTerritory
S = cst.ConsultationStatus


@dataclass
class ResidentAccount:
    """A resident user linked to a register resident."""

    actor: Actor
    resident: Resident
    token: str


@dataclass
class PWorld:
    """Staff of community A1 and A2, a street handler, residents of A1 (linked) and of A2."""

    territory: MiniTerritory
    staff_a1: Actor
    staff_a2: Actor
    street: Actor
    leader: Actor
    tokens: dict[str, str] = field(default_factory=dict)
    residents: dict[str, ResidentAccount] = field(default_factory=dict)

    def __getitem__(self, name: str) -> ResidentAccount:
        return self.residents[name]


def _staff(session: Session, role: Role, code: str, now: datetime) -> tuple[Actor, str]:
    user, token = make_user(session, role=role, region_code=code, now=now)
    return auth_service.actor_for_user(session, user.id), token


def resident_account(
    session: Session,
    world: PWorld,
    *,
    grid_code: str,
    name: str,
    now: datetime,
    link: bool = True,
) -> ResidentAccount:
    """A resident user; with ``link`` the register resident is linked to the account."""
    user, token = make_user(session, role=Role.RESIDENT, now=now)
    house = make_house(session, grid_code=grid_code, now=now)
    resident = make_resident(session, house=house, name=name, now=now)
    if link:
        staff = world.staff_a1 if grid_code == T.GRID_A1 else world.staff_a2
        consultations.link_resident_account(
            session, user_id=user.id, resident_id=resident.id, actor=staff, now=now
        )
    account = ResidentAccount(auth_service.actor_for_user(session, user.id), resident, token)
    world.residents[name] = account
    return account


def make_pworld(session: Session, *, now: datetime) -> PWorld:
    territory = MiniTerritory(session, now)
    staff_a1, t1 = _staff(session, Role.STREET_HANDLER, T.COMMUNITY_A1, now)
    staff_a2, t2 = _staff(session, Role.STREET_HANDLER, T.COMMUNITY_A2, now)
    street, t3 = _staff(session, Role.STREET_HANDLER, T.STREET_A, now)
    leader, t4 = _staff(session, Role.LEADER, T.CITY, now)
    world = PWorld(territory, staff_a1, staff_a2, street, leader)
    world.tokens.update(staff_a1=t1, staff_a2=t2, street=t3, leader=t4)
    resident_account(session, world, grid_code=T.GRID_A1, name="王芳", now=now)
    resident_account(session, world, grid_code=T.GRID_A1, name="李强", now=now)
    resident_account(session, world, grid_code=T.GRID_A2, name="赵敏", now=now)
    return world


def make_consultation(
    session: Session,
    world: PWorld,
    *,
    now: datetime,
    status: cst.ConsultationStatus = cst.ConsultationStatus.PROPOSED,
    options: tuple[str, ...] = ("加装电梯", "暂缓"),
    region_code: str = T.COMMUNITY_A1,
) -> Consultation:
    """A consultation in community A1 (by default) walked through the use cases to
    ``status``."""
    staff = world.staff_a1 if region_code == T.COMMUNITY_A1 else world.staff_a2
    c = consultations.propose(
        session,
        data=consultations.NewConsultation(
            title="3号楼加装电梯",
            topic="3号楼居民提出加装电梯，需协商费用分摊。",
            region_code=region_code,
            options=options,
        ),
        actor=staff,
        now=now,
    )
    if status is S.PROPOSED:
        return c
    if status is S.CANCELLED:
        return consultations.cancel(
            session, consultation_id=c.id, reason="居民撤回", actor=staff, now=now
        )
    consultations.add_participant(
        session,
        consultation_id=c.id,
        category=cst.ParticipantCategory.PARTY_ORG,
        name="社区党委书记",
        actor=staff,
        now=now,
    )
    consultations.publish_notice(
        session,
        consultation_id=c.id,
        notice_text="定于周五召开协商会",
        materials="方案说明",
        actor=staff,
        now=now,
    )
    if status is S.NOTICED:
        return c
    consultations.record_meeting(
        session,
        consultation_id=c.id,
        held_at=now,
        place="社区议事厅",
        attendee_count=12,
        minutes="各方充分发言。",
        actor=staff,
        now=now,
    )
    if status is S.HELD:
        return c
    consultations.resolve(
        session, consultation_id=c.id, resolution="同意加装电梯", actor=staff, now=now
    )
    if status is S.RESOLVED:
        return c
    task = consultations.add_task(
        session, consultation_id=c.id, title="施工招标", assignee="物业公司", actor=staff, now=now
    )
    consultations.start_implementation(session, consultation_id=c.id, actor=staff, now=now)
    if status is S.IMPLEMENTING:
        return c
    consultations.complete_task(session, task_id=task.id, result="已完成", actor=staff, now=now)
    consultations.publish_feedback(
        session, consultation_id=c.id, feedback="电梯已投入使用", actor=staff, now=now
    )
    if status is S.FEEDBACK_PUBLISHED:
        return c
    return consultations.close_evaluation(session, consultation_id=c.id, actor=staff, now=now)


@dataclass
class OrderSetup:
    team: VolunteerTeam
    volunteer: Volunteer
    volunteer_actor: Actor
    order: ServiceOrder


def make_order_setup(
    session: Session, world: PWorld, *, now: datetime, assign: bool = True
) -> OrderSetup:
    """A team of community A1, a volunteer (李强's account) in it, and 王芳's order (assigned
    to the team unless ``assign`` is false)."""
    staff = world.staff_a1
    team = volunteers.create_team(
        session, region_code=T.COMMUNITY_A1, name="红色先锋队", colour="red", actor=staff, now=now
    )
    helper = world["李强"]
    volunteer = volunteers.register_volunteer(
        session,
        data=volunteers.NewVolunteer(
            region_code=T.COMMUNITY_A1,
            name="李强",
            phone="13800001111",
            skills=("维修", "陪护"),
            availability="周末",
            team_id=team.id,
        ),
        actor=helper.actor,
        now=now,
    )
    order = volunteers.place_order(
        session,
        data=volunteers.NewOrder(region_code=T.COMMUNITY_A1, title="修理水龙头", skill="维修"),
        actor=world["王芳"].actor,
        now=now,
    )
    if assign:
        order = volunteers.assign_order(
            session, order_id=order.id, team_id=team.id, actor=staff, now=now
        )
    return OrderSetup(team, volunteer, helper.actor, order)
