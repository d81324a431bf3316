"""Read-side views of the register's detail pages and pickers, always through the actor's data
scope: one house with its address, residents and tags; houses found by typed address text
(the house picker); visits that concerned one resident or one house. Masked data only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.register import access, rules
from civicgrid.register.models import (
    Address,
    Building,
    House,
    Residence,
    Resident,
    Visit,
    VisitSubject,
)
from civicgrid.register.queries import house_address_text, house_tags

PICKER_LIMIT = 20


@dataclass(frozen=True, slots=True)
class HouseChoice:
    """A house as the picker offers it: its id and full address text."""

    id: int
    label: str
    grid_id: int


def search_houses_for(
    session: Session, actor: Actor, q: str, *, limit: int = PICKER_LIMIT
) -> list[HouseChoice]:
    """Houses in scope whose full address text (``幸福路12号院3号楼2单元501``) contains every
    space-separated part of ``q``; at most ``limit``, by address. Empty ``q`` finds none."""
    access.require_role(actor, rules.READ_ROLES, "查看人房信息")
    parts = [p for p in q.split() if p][:5]
    if not parts:
        return []
    text = Address.name + Building.name + House.unit + House.room
    stmt = (
        select(House.id, Address.name, Building.name, House.unit, House.room, House.grid_id)
        .join(Building, Building.id == House.building_id)
        .join(Address, Address.id == Building.address_id)
        .where(access.scope_filter(House.region_path, actor))
    )
    for part in parts:
        stmt = stmt.where(text.contains(part[:50], autoescape=True))
    stmt = stmt.order_by(Address.name, Building.name, House.unit, House.room, House.id)
    return [
        HouseChoice(int(hid), house_address_text(a, b, u, r), int(g))
        for hid, a, b, u, r, g in session.execute(stmt.limit(max(1, min(limit, 100))))
    ]


def house_label_for(session: Session, actor: Actor, house_id: int) -> HouseChoice:
    """One house in scope as the picker shows it (NotFound otherwise)."""
    house = access.get_for(session, House, house_id, actor)
    a, b = session.execute(
        select(Address.name, Building.name)
        .join(Building, Building.address_id == Address.id)
        .where(Building.id == house.building_id)
    ).one()
    return HouseChoice(house.id, house_address_text(a, b, house.unit, house.room), house.grid_id)


def address_name_for(session: Session, actor: Actor, address_id: int) -> str:
    """The name of one standard address in scope (NotFound otherwise)."""
    return access.get_for(session, Address, address_id, actor).name


@dataclass(frozen=True, slots=True)
class Occupant:
    """A resident of a house (masked fields only) and how they live there."""

    resident_id: int
    name: str
    gender: str
    birth_on: date
    phone_masked: str
    kind: str
    relation_to_owner: str
    from_on: date | None
    to_on: date | None


@dataclass(frozen=True)
class HouseDetail:
    """A house with its address, building, residents (current and former) and tags."""

    house: House
    address: Address
    building: Building
    current: list[Occupant] = field(default_factory=list)
    former: list[Occupant] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def address_text(self) -> str:
        return house_address_text(
            self.address.name, self.building.name, self.house.unit, self.house.room
        )


def house_detail_for(session: Session, actor: Actor, house_id: int) -> HouseDetail:
    """One house in scope with everything its page shows; NotFound otherwise. Residents
    outside the actor's scope (a lodger registered elsewhere) are left out."""
    house = access.get_for(session, House, house_id, actor)
    building = session.get_one(Building, house.building_id)
    address = session.get_one(Address, building.address_id)
    rows = session.execute(
        select(Resident, Residence)
        .join(Residence, Residence.resident_id == Resident.id)
        .where(Residence.house_id == house.id)
        .where(access.scope_filter(Resident.region_path, actor))
        .order_by(Residence.to_on.is_not(None), Residence.from_on, Residence.id)
    )
    current: list[Occupant] = []
    former: list[Occupant] = []
    for resident, residence in rows:
        occupant = Occupant(
            resident_id=resident.id,
            name=resident.name,
            gender=resident.gender,
            birth_on=resident.birth_on,
            phone_masked=resident.phone_masked,
            kind=residence.kind,
            relation_to_owner=residence.relation_to_owner,
            from_on=residence.from_on,
            to_on=residence.to_on,
        )
        (current if residence.to_on is None else former).append(occupant)
    tags = house_tags(session, [house.id]).get(house.id, [])
    return HouseDetail(house, address, building, current, former, tags)


def visits_of(
    session: Session,
    actor: Actor,
    *,
    resident_id: int | None = None,
    house_id: int | None = None,
    limit: int = 50,
) -> Sequence[Visit]:
    """Visits in scope that concerned the resident or the house, newest first."""
    access.require_role(actor, rules.READ_ROLES, "查看走访记录")
    subject = select(VisitSubject.visit_id)
    if resident_id is not None:
        subject = subject.where(VisitSubject.resident_id == resident_id)
    if house_id is not None:
        subject = subject.where(VisitSubject.house_id == house_id)
    stmt = (
        select(Visit)
        .where(access.scope_filter(Visit.region_path, actor), Visit.id.in_(subject))
        .order_by(Visit.visited_at.desc(), Visit.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    return session.scalars(stmt).all()
