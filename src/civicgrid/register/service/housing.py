"""Use cases of the register, places: addresses, buildings and houses (人房 — the 房), and a
house's vacancy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicgrid.auth.actor import Actor
from civicgrid.db import use_case
from civicgrid.errors import Conflict, Invalid
from civicgrid.register import access, rules
from civicgrid.register.models import Address, Building, House
from civicgrid.register.service.common import audit, get_grid


@use_case
def create_address(
    session: Session,
    *,
    grid_code: str,
    name: str,
    lon: float | None = None,
    lat: float | None = None,
    actor: Actor,
    now: datetime,
) -> Address:
    """Add a standard address in a grid of the actor's scope."""
    access.require_role(actor, rules.WRITE_ROLES, "登记地址")
    name = name.strip()
    if not name:
        raise Invalid("地址名称不能为空")
    grid = get_grid(session, grid_code)
    access.require_path_in_scope(actor, grid.path, f"网格 {grid_code}")
    if session.scalar(select(Address.id).where(Address.grid_id == grid.id, Address.name == name)):
        raise Conflict(f"网格 {grid_code} 中已有地址「{name}」")
    codes = session.scalars(select(Address.code).where(Address.grid_id == grid.id))
    seq = max((int(c[-5:]) for c in codes if c[-5:].isdigit()), default=0) + 1
    address = Address(
        code=f"{grid.code}{seq:05d}",
        name=name,
        grid_id=grid.id,
        grid_code=grid.code,
        region_path=grid.path,
        lon=lon,
        lat=lat,
        created_at=now,
    )
    session.add(address)
    session.flush()
    audit(session, actor, "address.create", "address", address.id, now, code=address.code)
    return address


@use_case
def create_building(
    session: Session,
    *,
    address_id: int,
    name: str,
    floors: int | None = None,
    actor: Actor,
    now: datetime,
) -> Building:
    """Add a building at an address in scope."""
    address = access.get_for_write(session, Address, address_id, actor)
    name = name.strip()
    if not name:
        raise Invalid("楼栋名称不能为空", detail={"field": "building"})
    if floors is not None and not 1 <= floors <= 200:
        raise Invalid("楼层数应在 1–200 之间")
    if session.scalar(
        select(Building.id).where(Building.address_id == address.id, Building.name == name)
    ):
        raise Conflict(f"地址「{address.name}」已有楼栋「{name}」")
    return _add_building(session, address, name, floors, actor, now)


def _add_building(
    session: Session, address: Address, name: str, floors: int | None, actor: Actor, now: datetime
) -> Building:
    """The building row with the address's grid, audited. Joins the caller's transaction."""
    building = Building(
        address_id=address.id,
        name=name,
        floors=floors,
        grid_id=address.grid_id,
        region_path=address.region_path,
        created_at=now,
    )
    session.add(building)
    session.flush()
    audit(session, actor, "building.create", "building", building.id, now)
    return building


@use_case
def create_house(
    session: Session,
    *,
    building_id: int,
    unit: str = "",
    room: str,
    area_m2: float | None = None,
    use: str = "residential",
    is_vacant: bool = False,
    actor: Actor,
    now: datetime,
) -> House:
    """Add a house (room) to a building in scope."""
    building = access.get_for_write(session, Building, building_id, actor)
    unit, room, house_use = _house_fields(unit, room, area_m2, use)
    if _room_taken(session, building.id, unit, room):
        raise Conflict(f"楼栋「{building.name}」已有房屋 {unit}{room}", detail={"field": "room"})
    return _add_house(session, building, unit, room, area_m2, house_use, is_vacant, actor, now)


def _add_house(
    session: Session,
    building: Building,
    unit: str,
    room: str,
    area_m2: float | None,
    use: rules.HouseUse,
    is_vacant: bool,
    actor: Actor,
    now: datetime,
) -> House:
    """The house row with the building's grid and its label, audited. Joins the caller's
    transaction."""
    address = session.get_one(Address, building.address_id)
    house = House(
        building_id=building.id,
        unit=unit,
        room=room,
        label=rules.house_label(address.name, building.name, unit, room),
        area_m2=area_m2,
        use=use.value,
        is_vacant=is_vacant,
        grid_id=building.grid_id,
        region_path=building.region_path,
        created_at=now,
    )
    session.add(house)
    session.flush()
    audit(session, actor, "house.create", "house", house.id, now)
    return house


def _house_fields(
    unit: str, room: str, area_m2: float | None, use: str
) -> tuple[str, str, rules.HouseUse]:
    """The checked unit, room and use of a house (Invalid names the field)."""
    room, unit = room.strip(), unit.strip()
    if not room or len(room) > 20:
        raise Invalid("房号不能为空且不超过 20 个字", detail={"field": "room"})
    if len(unit) > 20:
        raise Invalid("单元不超过 20 个字", detail={"field": "unit"})
    try:
        house_use = rules.HouseUse.from_text(use)
    except ValueError as exc:
        raise Invalid(str(exc), detail={"field": "use"}) from exc
    if area_m2 is not None and not 0 < area_m2 < 100_000:
        raise Invalid("建筑面积应大于 0 且小于 100000 平方米", detail={"field": "area_m2"})
    return unit, room, house_use


def _room_taken(session: Session, building_id: int, unit: str, room: str, but: int = 0) -> bool:
    return (
        session.scalar(
            select(House.id).where(
                House.building_id == building_id,
                House.unit == unit,
                House.room == room,
                House.id != but,
            )
        )
        is not None
    )


@use_case
def register_house(
    session: Session,
    *,
    address_id: int,
    building: str,
    unit: str = "",
    room: str,
    area_m2: float | None = None,
    use: str = "residential",
    is_vacant: bool = False,
    actor: Actor,
    now: datetime,
) -> House:
    """Add a house at a standard address in scope, naming its building: the building is
    created when the address has none of that name (one form instead of three steps)."""
    address = access.get_for_write(session, Address, address_id, actor)
    building_name = building.strip()
    if not building_name or len(building_name) > 50:
        raise Invalid("楼栋不能为空且不超过 50 个字", detail={"field": "building"})
    unit, room, house_use = _house_fields(unit, room, area_m2, use)
    found = session.scalar(
        select(Building).where(Building.address_id == address.id, Building.name == building_name)
    )
    if found is None:
        found = _add_building(session, address, building_name, None, actor, now)
    elif _room_taken(session, found.id, unit, room):
        raise Conflict(f"{building_name}已有房屋 {unit}{room}", detail={"field": "room"})
    return _add_house(session, found, unit, room, area_m2, house_use, is_vacant, actor, now)


@use_case
def update_house(
    session: Session,
    *,
    house_id: int,
    unit: str,
    room: str,
    area_m2: float | None,
    use: str,
    is_vacant: bool,
    actor: Actor,
    now: datetime,
) -> House:
    """Correct a house's unit, room, floor area, use and vacancy (its building and address
    stay: a house does not move). Audited with the names of the changed fields."""
    house = access.get_for_write(session, House, house_id, actor)
    unit, room, house_use = _house_fields(unit, room, area_m2, use)
    if _room_taken(session, house.building_id, unit, room, but=house.id):
        raise Conflict(f"该楼栋已有房屋 {unit}{room}", detail={"field": "room"})
    new = {
        "unit": unit,
        "room": room,
        "area_m2": area_m2,
        "use": house_use.value,
        "is_vacant": is_vacant,
    }
    changed = [key for key, value in new.items() if getattr(house, key) != value]
    for key, value in new.items():
        setattr(house, key, value)
    if "unit" in changed or "room" in changed:
        building = session.get_one(Building, house.building_id)
        address = session.get_one(Address, building.address_id)
        house.label = rules.house_label(address.name, building.name, unit, room)
    session.flush()
    audit(session, actor, "house.update", "house", house.id, now, fields=changed)
    return house


@use_case
def set_house_vacancy(
    session: Session, *, house_id: int, is_vacant: bool, actor: Actor, now: datetime
) -> House:
    """Mark a house as empty (空房) or occupied."""
    house = access.get_for_write(session, House, house_id, actor)
    house.is_vacant = is_vacant
    session.flush()
    audit(session, actor, "house.vacancy", "house", house.id, now, is_vacant=is_vacant)
    return house
