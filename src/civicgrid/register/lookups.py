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
from civicgrid.register.queries import (
    address_parts,
    house_address_text,
    house_tags,
    label_conditions,
    search_start,
)

PICKER_LIMIT = 20


@dataclass(frozen=True, slots=True)
class HouseChoice:
    """A house as the picker offers it: its id and full address text."""

    id: int
    label: str
    grid_id: int


# From the index, the picker sorts at most this many matching houses (a broad term: type more).
PICKER_POOL = 200


def search_houses_for(
    session: Session, actor: Actor, q: str, *, limit: int = PICKER_LIMIT
) -> list[HouseChoice]:
    """Houses in scope whose full address text (``House.label``, ``幸福路12号院3号楼2单元501``)
    contains every space-separated part of ``q``; at most ``limit``, by label. Empty ``q``
    finds none.

    A small scope (a grid worker's community, counted cheaply) is read whole and filtered (a
    materialised CTE: PostgreSQL must not start from the trigram index of a frequent term); a
    large one starts from the trigram index of the labels, takes at most ``PICKER_POOL``
    matches in no order and sorts them (exactly the first by label whenever fewer match).
    A large scope needs a part of at least ``rules.MIN_INDEXED_TERM`` characters (Invalid)."""
    access.require_role(actor, rules.READ_ROLES, "查看人房信息")
    parts = address_parts(q)
    if not parts:
        return []
    limit = max(1, min(limit, 100))
    start = search_start(session, House.region_path, actor, parts)
    if start is rules.SearchStart.SCOPE:
        scoped = (
            select(House.id, House.label, House.grid_id)
            .where(access.scope_filter(House.region_path, actor))
            .cte("scoped")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = (
            select(scoped.c.id, scoped.c.label, scoped.c.grid_id)
            .where(*label_conditions(scoped.c.label, parts))
            .order_by(scoped.c.label, scoped.c.id)
            .limit(limit)
        )
        return [HouseChoice(int(i), str(label), int(g)) for i, label, g in session.execute(stmt)]
    stmt = (
        select(House.id, House.label, House.grid_id)
        .where(access.scope_filter(House.region_path, actor))
        .where(*label_conditions(House.label, parts))
        .limit(PICKER_POOL)
    )
    found = sorted(session.execute(stmt), key=lambda row: (row[1], row[0]))
    return [HouseChoice(int(i), str(label), int(g)) for i, label, g in found[:limit]]


def house_label_for(session: Session, actor: Actor, house_id: int) -> HouseChoice:
    """One house in scope as the picker shows it (NotFound otherwise)."""
    house = access.get_for(session, House, house_id, actor)
    return HouseChoice(house.id, house.label, house.grid_id)


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
